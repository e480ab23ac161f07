/* Rich-text links to a disclosure document (DISCLOSURE) and a 栏目单页 (STANDALONE):
 * the toolbar button opens the snippet chooser; the chosen item is stored by id
 * (cms/admin/richtext_links.py) and resolved to its public URL when the site is built. */
(function () {
  "use strict";
  var draftail = window.draftail;
  var React = window.React;
  if (!draftail || !React || !draftail.ModalWorkflowSource) {
    return;
  }

  class ChosenLinkSource extends draftail.ModalWorkflowSource {
    getChooserConfig() {
      var urls = (this.props.entityType && this.props.entityType.chooserUrls) || {};
      return {
        url: urls.chooser,
        urlParams: {},
        onload: window.CHOOSER_MODAL_ONLOAD_HANDLERS,
        responses: { chosen: this.onChosen },
      };
    }

    onChosen(data) {
      // A snippet chooser answers {id, string, edit_url}; the editor inserts `title` as the text.
      return super.onChosen(Object.assign({}, data, { title: data.title || data.string }));
    }

    filterEntityData(data) {
      return { id: String(data.id), title: data.title || data.string || "" };
    }
  }

  function decorator(icon) {
    return function ChosenLink(props) {
      var data = props.contentState.getEntity(props.entityKey).getData();
      var Icon = window.wagtail && window.wagtail.components && window.wagtail.components.Icon;
      return React.createElement(draftail.TooltipEntity, Object.assign({}, props, {
        icon: Icon ? React.createElement(Icon, { name: icon }) : null,
        label: data.title || "#" + data.id,
      }));
    };
  }

  draftail.registerPlugin({ type: "DISCLOSURE", source: ChosenLinkSource, decorator: decorator("doc-full") }, "entityTypes");
  draftail.registerPlugin({ type: "STANDALONE", source: ChosenLinkSource, decorator: decorator("doc-empty") }, "entityTypes");
})();
