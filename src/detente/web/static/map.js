// Draw the sectors and incidents embedded in the page (no requests but the optional tiles).
(function () {
  "use strict";
  var el = document.getElementById("map");
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var colours = {
    reported: "#d98c00", under_verification: "#d98c00", verified: "#b5472f",
    not_verified: "#888888", disputed: "#7a5195", attributed: "#b5472f",
    raised: "#8b0000", answered: "#2f6db5", resolved: "#2e8b57", escalated: "#000000"
  };
  var map = L.map(el, { zoomControl: true, attributionControl: true });
  var tiles = el.getAttribute("data-tiles");
  if (tiles) { L.tileLayer(tiles, { maxZoom: 18 }).addTo(map); }
  var layers = [];
  data.sectors.forEach(function (s) {
    var layer = L.geoJSON(s.geometry, { style: { color: "#555", weight: 2, fillOpacity: 0.08 } });
    layer.bindTooltip(s.name, { permanent: true, direction: "center", className: "sector-label" });
    layer.addTo(map);
    layers.push(layer);
  });
  var points = L.geoJSON(data.incidents, {
    pointToLayer: function (f, latlng) {
      return L.circleMarker(latlng, {
        radius: 7, color: "#fff", weight: 1, fillOpacity: 0.9,
        fillColor: colours[f.properties.state] || "#333"
      });
    },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      var a = document.createElement("a");
      a.href = "/incidents/" + p.id;
      a.textContent = "#" + p.id + " " + p.type.replace(/_/g, " ") + " (" + p.state.replace(/_/g, " ") + ")";
      layer.bindPopup(a);
    }
  }).addTo(map);
  layers.push(points);
  var bounds = L.featureGroup(layers).getBounds();
  if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20] }); } else { map.setView([0, 0], 2); }
  el.setAttribute("data-ready", String(data.incidents.features.length));
})();
