/* The builder's workspace of one app (PL24): the draft's documents grouped on the left, a form of
   the selected document in the middle, the publish panel on top.

   Forms are json-editor forms of the schemas the metadata API serves (/_meta/forms), so a new
   field kind, trigger or action needs no code here. Three parts are hand-written because schema
   forms are poor at them: an entity's fields as a table (reordered by drag or by buttons, each
   field edited with its kind's form), a pipeline's stages as a sortable list, and a role's
   rights as a matrix of entities and rights. Every change is checked at once (POST
   .../draft/check, nothing stored) and shown beside its input, and saved to the draft shortly
   after (PUT .../draft/documents/<path>); the page warns before leaving with an unsaved change,
   and a refused save keeps the change on the page.

   The workspace is split by what each part holds, loaded in this order: builder_workspace.js
   (page, state, documents' places), builder_documents.js (navigation, loading and saving),
   builder_forms.js (json-editor forms), builder_entity.js, builder_pipeline.js, builder_role.js,
   builder_problems.js, builder_publish.js, builder_versions.js; this file, loaded last, opens
   the draft. */
(function () {
  "use strict";
  var B = window.StageflowBuilder;
  var W = B.workspace;
  if (!W) { return; }
  var say = W.say, draftPath = W.draftPath, root = W.root, main = W.main;

  // --- start ------------------------------------------------------------------------------

  Promise.all([B.api("GET", "/forms"), B.api("GET", draftPath)]).then(function (results) {
    W.forms = results[0];
    W.setDraft(results[1]);
    var wanted = window.location.hash.slice(1);
    W.open(W.draft.documents[wanted] ? wanted : "app.json");
    root.setAttribute("data-ready", "1");
  }).catch(function (error) {
    main.textContent = "";
    main.appendChild(B.alertBox("danger", say("load_failed", "Could not open the draft: {message}", {message: error.message})));
  });
})();
