/* The builder workspace's pipeline editor: the stages as a sortable list, each stage edited with
   its schema's form, the "Add stage" form, and the pipeline's own settings as a schema form. */
(function () {
  "use strict";
  var B = window.StageflowBuilder;
  var W = B.workspace;
  if (!W) { return; }
  var el = B.el, say = W.say, locale = W.locale, NAME = W.NAME, main = W.main;

  // --- pipeline: stages in order, each edited by its schema form ----------------------------

  function renderPipeline() {
    var doc = W.current.doc;
    var stagesSection = el("section", "sf-b-section sf-b-stages-section");
    stagesSection.appendChild(el("h3", "h5 sf-b-section-title", say("stages", "Stages")));
    var list = el("ol", "list-unstyled sf-b-stages");
    stagesSection.appendChild(list);
    stagesSection.appendChild(addStageForm());
    var stageHolder = el("div", "sf-b-sub-editor sf-b-stage-editor");
    stageHolder.hidden = true;
    stagesSection.appendChild(stageHolder);
    main.appendChild(stagesSection);
    var settings = el("section", "sf-b-section sf-b-pipeline-settings");
    settings.appendChild(el("h3", "h5 sf-b-section-title", say("pipeline_settings", "Pipeline settings")));
    var holder = el("div", "sf-b-form");
    settings.appendChild(holder);
    main.appendChild(settings);
    W.current.mainForm = W.makeForm(holder, W.formSchema(W.forms.documents.pipeline, {readOnly: ["name"], without: ["stages"], title: ""}),
                                W.pick(doc, ["stages"]), function (value) {
      W.current.doc = W.compose(W.current.doc, value, ["stages"]);
      W.touched();
    });
    W.current.stagesList = list;
    W.current.stageHolder = stageHolder;
    renderStageItems();
    Sortable.create(list, {handle: ".sf-b-handle", animation: 120, onEnd: function (event) {
      if (event.oldIndex === event.newIndex) { return; }
      W.moveItem(W.current.doc.stages, event.oldIndex, event.newIndex, "stage");
    }});
  }

  function renderStageItems() {
    var list = W.current.stagesList;
    list.textContent = "";
    W.current.doc.stages.forEach(function (stage, index) {
      var name = stage.name || "";
      var item = el("li", "sf-b-stage" + (W.current.stageIndex === index ? " active" : ""), null, {"data-stage": name, "data-index": String(index)});
      item.appendChild(el("span", "sf-b-handle fa fa-bars", null, {title: say("drag", "Drag to reorder"), "aria-hidden": "true"}));
      var swatch = el("span", "sf-b-swatch", null, {"aria-hidden": "true"});
      if (typeof stage.color === "string" && /^#[0-9a-fA-F]{6}$/.test(stage.color)) { swatch.style.backgroundColor = stage.color; }
      item.appendChild(swatch);
      item.appendChild(el("span", "sf-b-stage-label", B.labelText(stage.label, locale, name)));
      item.appendChild(el("span", "sf-b-mono sf-muted sf-b-stage-name", name));
      if (stage.kind && stage.kind !== "open") { item.appendChild(el("span", "label label-default sf-b-stage-kind", stage.kind)); }
      var actions = el("span", "sf-b-row-actions");
      W.rowActions(actions, W.current.doc.stages, index, name, "stage", openStage, closeStage);
      item.appendChild(actions);
      list.appendChild(item);
    });
    W.showProblems();
  }

  function addStageForm() {
    var form = el("form", "form-inline sf-b-add-stage", null, {autocomplete: "off", novalidate: ""});
    var nameInput = el("input", "form-control input-sm", null, {type: "text", id: "sf-b-new-stage-name", name: "name",
                       maxlength: "30", placeholder: say("machine_name", "Machine name"), title: say("name_hint", "")});
    var labelInput = el("input", "form-control input-sm", null, {type: "text", id: "sf-b-new-stage-label", name: "label",
                        maxlength: "200", placeholder: say("label", "Label")});
    [[nameInput, say("machine_name", "Machine name")], [labelInput, say("label", "Label")]].forEach(function (pair) {
      var group = el("div", "form-group");
      group.appendChild(el("label", "sr-only", pair[1], {"for": pair[0].id}));
      group.appendChild(pair[0]);
      form.appendChild(group);
      form.appendChild(document.createTextNode(" "));
    });
    var add = el("button", "btn btn-default btn-sm sf-b-add-stage-button", null, {type: "submit"});
    add.appendChild(el("i", "fa fa-plus", null, {"aria-hidden": "true"}));
    add.appendChild(document.createTextNode(" " + say("add_stage", "Add stage")));
    form.appendChild(add);
    var error = el("div", "text-danger sf-b-add-error", null, {"aria-live": "polite"});
    form.appendChild(error);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = nameInput.value.trim();
      if (!NAME.test(name) || name.length > 30) { error.textContent = say("bad_name", "“{name}” is not a machine name.", {name: name}); return; }
      if (W.current.doc.stages.some(function (stage) { return stage.name === name; })) {
        error.textContent = say("name_taken", "“{name}” is already taken.", {name: name});
        return;
      }
      error.textContent = "";
      W.current.doc.stages.push({name: name, label: labelInput.value.trim() || W.humanize(name)});
      nameInput.value = "";
      labelInput.value = "";
      renderStageItems();
      W.touched();
    });
    return form;
  }

  function openStage(index) {
    var stage = W.current.doc.stages[index];
    if (!stage) { return; }
    W.dropForm(W.current.stageForm);
    W.current.stageIndex = index;
    var holder = W.current.stageHolder;
    holder.textContent = "";
    holder.hidden = false;
    holder.setAttribute("data-stage", stage.name || "");
    W.subEditorHeader(holder, say("stage_settings", "Stage “{name}”", {name: stage.name || ""}), closeStage);
    var formHolder = el("div", "sf-b-form");
    holder.appendChild(formHolder);
    var pipeline = W.forms.documents.pipeline;
    W.current.stageForm = W.makeForm(formHolder, W.formSchema(pipeline.properties.stages.items,
                                 {definitions: pipeline.definitions, title: ""}), stage, function (value) {
      var position = W.current.stageIndex;
      W.current.doc.stages[position] = W.compose(W.current.doc.stages[position], value, []);
      renderStageItems();
      W.touched();
    });
    W.showProblems();
  }

  function closeStage() {
    W.dropForm(W.current.stageForm);
    W.current.stageForm = null;
    W.current.stageIndex = null;
    W.current.stageHolder.textContent = "";
    W.current.stageHolder.hidden = true;
    renderStageItems();
  }

  Object.assign(W, {renderPipeline: renderPipeline, renderStageItems: renderStageItems});
})();
