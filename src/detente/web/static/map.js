// Draw the sectors and incidents embedded in the page over a base map: the tile server given
// with --tiles, or else Natural Earth's borders and coasts from the vendored world-atlas
// TopoJSON (served by this site: the map works with no network at all).
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
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 18 }).addTo(map);
  } else {
    drawNaturalEarth(map, el);
  }
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

  // Land, then country borders, in their own pane below the sectors and incidents; country
  // names from zoom 5 on. Nothing here is interactive, so keyboard focus stays on the data.
  function drawNaturalEarth(map, el) {
    var pane = map.createPane("basemap");
    pane.style.zIndex = 250;
    map.attributionControl.addAttribution(
      "Borders and coasts: Natural Earth 1:50m (de facto, 2018; no position on any claim)");
    fetch(el.getAttribute("data-basemap"))
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (world) {
        var land = unwrapped(topojson.feature(world, world.objects.land));
        var borders = topojson.mesh(world, world.objects.countries, function (a, b) {
          return a !== b;
        });
        var common = { pane: "basemap", interactive: false };
        L.geoJSON(land, Object.assign({ style: {
          color: "#7f8c8d", weight: 1, fillColor: "#f4f1e8", fillOpacity: 1
        } }, common)).addTo(map);
        L.geoJSON(borders, Object.assign({ style: {
          color: "#95a5a6", weight: 1, dashArray: "4 3", fill: false
        } }, common)).addTo(map);
        var names = L.layerGroup(countryLabels(topojson.feature(world, world.objects.countries)));
        var showNames = function () {
          if (map.getZoom() >= 5) { names.addTo(map); } else { names.remove(); }
        };
        map.on("zoomend", showNames);
        showNames();
        el.setAttribute("data-basemap-ready", "natural-earth");
      })
      .catch(function (err) {
        el.setAttribute("data-basemap-ready", "failed");
        if (window.console) { window.console.warn("base map not drawn: " + err.message); }
      });
  }

  // Rings that cross the antimeridian (Chukotka, Fiji) go on past 180 degrees instead of
  // jumping back to -180, which would draw a line across the whole map. Antarctica's ring,
  // closed along the bottom of the map, keeps its edge there.
  function unwrapped(fc) {
    fc.features.forEach(function (f) {
      var g = f.geometry;
      var polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      polygons.forEach(function (rings) {
        for (var r = 0; r < rings.length; r++) { rings[r] = unwrapRing(rings[r]); }
      });
    });
    return fc;
  }

  function unwrapRing(ring) {
    var shift = 0;
    return ring.map(function (p, i) {
      if (i > 0) {
        var prev = ring[i - 1], step = p[0] - prev[0];
        var polar = Math.abs(p[1]) > 80 && Math.abs(prev[1]) > 80;
        if (!polar && step > 180) { shift -= 360; } else if (!polar && step < -180) { shift += 360; }
      }
      return [p[0] + shift, p[1]];
    });
  }

  // A label at the centre of each country's largest polygon (by bounding box).
  function countryLabels(countries) {
    return countries.features.filter(function (f) {
      return f.geometry && f.properties && f.properties.name;
    }).map(function (f) {
      var polygons = f.geometry.type === "Polygon" ? [f.geometry.coordinates] : f.geometry.coordinates;
      var best = null;
      polygons.forEach(function (rings) {
        var b = L.latLngBounds(rings[0].map(function (p) { return [p[1], p[0]]; }));
        var size = (b.getEast() - b.getWest()) * (b.getNorth() - b.getSouth());
        if (best === null || size > best.size) { best = { size: size, bounds: b }; }
      });
      return L.marker(best.bounds.getCenter(), {
        interactive: false, keyboard: false,
        icon: L.divIcon({ className: "country-label", html: "", iconSize: [0, 0] })
      }).on("add", function () {
        var span = document.createElement("span");
        span.textContent = f.properties.name;
        this.getElement().replaceChildren(span);
      });
    });
  }
})();
