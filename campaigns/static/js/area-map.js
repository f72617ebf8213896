/* Area map: hot-spot classes drawn on the area boundaries alone.
 *
 * Contract with the page (see targeting templates):
 *   <div class="area-map" id="ID" data-geojson="/url/of/features.geojson"></div>
 *   <script type="application/json" id="ID-labels">{"hot99": "...", ...}</script>
 *   <a href="#area=13121" data-map-focus="13121" [data-map-target="ID"]>Fulton</a>
 *
 * A ranking page may also colour by score: data-mode="score" on the div, "score_classes":
 * [[low, high, colour, label], ...] in the labels, and a <fieldset id="map-mode"> of radio
 * buttons (hidden until the map loads) to switch between "score" and "class".
 *
 * The legend folds behind a button (aria-expanded) and starts folded on narrow screens, where
 * it would otherwise cover half the map.
 *
 * A page may colour areas by classes of its own (the campaign page's coverage): the labels block
 * then holds "classes": [[key, colour, label], ...], each feature a "map_class" key, and popup
 * lines already written in the page's language ("lines": [...]).
 *
 * Why it looks like this:
 * - No tile layer and no request other than the app's own GeoJSON: the planner must work
 *   offline and its CSP allows only 'self'. The labels come from a JSON data block (not
 *   executed, so CSP-safe) so they can be translated server-side.
 * - Area names come from uploaded files, so every piece of data reaches the DOM through
 *   textContent, never innerHTML.
 * - SVG paths cannot usefully take keyboard focus in Leaflet, so keyboard users reach an area
 *   through the ranked table's data-map-focus links (or an "area-map:focus" event), the
 *   popup text is copied into a polite live region, and an "area-map:select" event lets the
 *   page follow along.
 */
(function () {
  'use strict';

  // ArcGIS-like hot/cold diverging palette keyed by Gi* bin; keep in sync with area-map.css
  // (legend swatches) and targeting/static_map.py (printable map).
  const PALETTE = {
    '3': '#d62f27', '2': '#ed7551', '1': '#fab984', '0': '#f7f7f7',
    '-1': '#c0ccbe', '-2': '#849eba', '-3': '#4575b5'
  };
  const UNTESTED = '#dddddd';
  // Legend order, hottest first, with the CSS modifier and label key for each class.
  const CLASSES = [
    ['3', 'hot99'], ['2', 'hot95'], ['1', 'hot90'], ['0', 'none'],
    ['-1', 'cold90'], ['-2', 'cold95'], ['-3', 'cold99'], [null, 'untested']
  ];
  // English fallbacks so a missing key never shows "undefined"; the page should send them all.
  const DEFAULT_LABELS = {
    hot99: 'Hot spot, 99 % confidence', hot95: 'Hot spot, 95 % confidence',
    hot90: 'Hot spot, 90 % confidence', none: 'Not significant',
    cold90: 'Cold spot, 90 % confidence', cold95: 'Cold spot, 95 % confidence',
    cold99: 'Cold spot, 99 % confidence', untested: 'Not tested',
    rank: 'Rank {n}', count: 'Incidents: {n}', suppressed: 'Suppressed (small number)',
    legend_title: 'Hot-spot analysis', error: 'The map could not be loaded.'
  };

  function readLabels(div) {
    const block = div.id ? document.getElementById(div.id + '-labels') : null;
    let labels = {};
    if (block) {
      try { labels = JSON.parse(block.textContent) || {}; } catch (e) { labels = {}; }
    }
    return Object.assign({}, DEFAULT_LABELS, labels);
  }

  // "Rank {n}" -> "Rank 3"; a label without {n} gets the number appended, so both styles work
  // and translators can move the number (e.g. Arabic word order).
  function withNumber(label, value) {
    const lang = document.documentElement.lang || undefined;
    const text = typeof value === 'number' ? value.toLocaleString(lang) : String(value);
    return label.indexOf('{n}') >= 0 ? label.replace('{n}', text) : label + ' ' + text;
  }

  function binKey(bin) {
    return bin === null || bin === undefined || !(String(bin) in PALETTE) ? null : String(bin);
  }

  function classColour(labels, key) {
    const entry = (labels.classes || []).find(function (c) { return c[0] === key; });
    return entry ? entry[1] : UNTESTED;
  }

  function scoreColour(labels, score) {
    if (score === null || score === undefined) return null;
    const entry = (labels.score_classes || []).find(function (c) { return score >= c[0] && score < c[1]; });
    return entry ? entry[2] : null;
  }

  function featureStyle(feature, labels, mode) {
    const p = feature.properties || {};
    if (mode === 'score' && labels.score_classes) {
      const colour = scoreColour(labels, p.score);
      const byScore = {
        color: '#444444', weight: 0.6, opacity: 1, fillOpacity: 0.9,
        fillColor: colour === null ? UNTESTED : colour, dashArray: colour === null ? '3 3' : null
      };
      if (p.selected) { byScore.color = '#000000'; byScore.weight = 3; }
      return byScore;
    }
    if (labels && labels.classes) {
      const custom = {
        color: '#444444', weight: 0.6, opacity: 1, fillOpacity: 0.9, fillColor: classColour(labels, p.map_class)
      };
      if (p.selected) { custom.color = '#000000'; custom.weight = 2; }
      return custom;
    }
    const key = binKey(p.gi_bin);
    const style = {
      color: '#444444', weight: 0.6, opacity: 1, fillOpacity: 0.9,
      fillColor: key === null ? UNTESTED : PALETTE[key], dashArray: key === null ? '3 3' : null
    };
    if (p.selected) {
      style.color = '#000000';
      style.weight = 3;
    }
    return style;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // The popup's lines as plain strings, shared by the popup and the live region.
  function popupLines(p, labels) {
    const lines = [];
    if (Array.isArray(p.lines)) {
      if (p.rank !== null && p.rank !== undefined) lines.push(withNumber(labels.rank, p.rank));
      return lines.concat(p.lines.map(String));
    }
    if (p.rank !== null && p.rank !== undefined) lines.push(withNumber(labels.rank, p.rank));
    if (labels.score && p.score !== null && p.score !== undefined) {
      lines.push(withNumber(labels.score, Math.round(p.score * 10) / 10));
    }
    if (p.explanation) lines.push(String(p.explanation));
    if (p.count !== null && p.count !== undefined) lines.push(withNumber(labels.count, p.count));
    else if (p.suppressed) lines.push(labels.suppressed);
    return lines;
  }

  function buildPopup(p, labels) {
    const box = el('div', 'area-map-popup');
    box.appendChild(el('strong', 'area-map-popup-name', p.name || p.area_id || ''));
    popupLines(p, labels).forEach(function (line) { box.appendChild(el('p', null, line)); });
    return box;
  }

  function legendItems(labels, mode) {
    if (mode === 'score' && labels.score_classes) {
      return labels.score_classes.slice().reverse().map(function (c) { return { colour: c[2], label: c[3] }; })
        .concat([{ modifier: 'untested', label: labels.untested }]);
    }
    if (labels.classes) {
      return labels.classes.map(function (c) { return { colour: c[1], label: c[2], key: c[0] }; });
    }
    return CLASSES.map(function (entry) {
      return { modifier: entry[0] === null ? 'untested' : entry[1], label: labels[entry[1]] };
    });
  }

  function fillLegend(box, labels, mode) {
    const title = box.querySelector('.area-map-legend-title span');
    title.textContent = mode === 'score' && labels.score_title ? labels.score_title : labels.legend_title;
    const list = box.querySelector('ul');
    while (list.firstChild) list.removeChild(list.firstChild);
    legendItems(labels, mode).forEach(function (entry) {
      const item = el('li');
      const swatch = el('span', 'area-map-swatch' + (entry.modifier ? ' area-map-swatch--' + entry.modifier : ''));
      swatch.setAttribute('aria-hidden', 'true');
      if (entry.key !== undefined) swatch.setAttribute('data-class', entry.key);
      if (entry.colour) swatch.style.background = entry.colour; // CSSOM, not a style attribute: allowed by the CSP
      item.appendChild(swatch);
      item.appendChild(el('span', null, entry.label));
      list.appendChild(item);
    });
  }

  function buildLegend(labels, state) {
    const legend = L.control({ position: 'bottomright' });
    legend.onAdd = function () {
      const box = el('div', 'area-map-legend');
      const title = el('p', 'area-map-legend-title');
      const toggle = el('button', 'area-map-legend-toggle');
      toggle.type = 'button';
      toggle.appendChild(el('span', null, labels.legend_title));
      title.appendChild(toggle);
      box.appendChild(title);
      const list = el('ul');
      list.id = 'legend-' + Math.random().toString(36).slice(2);
      box.appendChild(list);
      toggle.setAttribute('aria-controls', list.id);
      function setFolded(folded) {
        box.classList.toggle('area-map-legend--folded', folded);
        toggle.setAttribute('aria-expanded', folded ? 'false' : 'true');
        toggle.title = labels.legend_toggle || '';
      }
      toggle.addEventListener('click', function () {
        setFolded(!box.classList.contains('area-map-legend--folded'));
      });
      const narrow = window.matchMedia && window.matchMedia('(max-width: 40em)').matches;
      setFolded(Boolean(narrow));
      fillLegend(box, labels, state.mode);
      state.legendBox = box;
      // Clicking or scrolling on the legend must not pan or zoom the map underneath.
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    return legend;
  }

  function initMap(div) {
    const labels = readLabels(div);
    if (typeof L === 'undefined') {
      div.textContent = labels.error;
      div.classList.add('area-map--error');
      return Promise.resolve();
    }
    return fetch(div.dataset.geojson, {
      credentials: 'same-origin',
      headers: { Accept: 'application/geo+json, application/json' }
    }).then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.json();
    }).then(function (data) {
      drawMap(div, data, labels);
    }).catch(function (err) {
      div.textContent = labels.error;
      div.classList.add('area-map--error');
      if (window.console) console.warn('area-map:', div.dataset.geojson, err);
    });
  }

  function drawMap(div, data, labels) {
    // No tiles means no natural zoom limits; bound them so fitBounds on a tiny area stays sane.
    const map = L.map(div, { zoomSnap: 0.25, attributionControl: false, minZoom: 2, maxZoom: 14 });
    const byId = new Map();
    const status = el('div', 'area-map-status');
    status.setAttribute('role', 'status');
    status.setAttribute('aria-live', 'polite');
    div.insertAdjacentElement('afterend', status);

    const state = { mode: div.dataset.mode || 'class', legendBox: null };
    const layer = L.geoJSON(data, {
      style: function (feature) { return featureStyle(feature, labels, state.mode); },
      onEachFeature: function (feature, path) {
        const p = feature.properties || {};
        if (p.area_id !== undefined && p.area_id !== null) byId.set(String(p.area_id), path);
        path.bindPopup(function () { return buildPopup(p, labels); }, { maxWidth: 280 });
        path.on('popupopen', function () {
          // Sentence breaks make screen readers pause; do not double an existing full stop.
          status.textContent = [p.name || p.area_id].concat(popupLines(p, labels)).map(function (line) {
            return /[.!?\u061f\u3002]$/.test(line) ? line : line + '.';
          }).join(' ');
          div.dispatchEvent(new CustomEvent('area-map:select', {
            bubbles: true, detail: { areaId: p.area_id, name: p.name, rank: p.rank }
          }));
        });
      }
    }).addTo(map);
    // Thick selected outlines must not be hidden under their neighbours' thin borders.
    layer.eachLayer(function (path) {
      if (path.feature.properties && path.feature.properties.selected) path.bringToFront();
    });

    const bounds = layer.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] });
    else map.setView([0, 0], 2);
    // Zooming to one area should show it with its neighbours, not fill the map with it.
    const focusMaxZoom = map.getZoom() + 2.5;
    buildLegend(labels, state).addTo(map);

    // The score / hot-spot class switch, if the page has one: shown only once there is a map.
    const switcher = document.getElementById('map-mode');
    if (switcher && labels.score_classes) {
      switcher.hidden = false;
      switcher.addEventListener('change', function (event) {
        if (!event.target || event.target.name !== 'map-mode') return;
        state.mode = event.target.value === 'score' ? 'score' : 'class';
        div.dataset.mode = state.mode;
        layer.setStyle(function (feature) { return featureStyle(feature, labels, state.mode); });
        if (state.legendBox) fillLegend(state.legendBox, labels, state.mode);
      });
    }

    function focusArea(areaId) {
      const path = byId.get(String(areaId));
      if (!path) return false;
      map.fitBounds(path.getBounds(), { padding: [100, 100], maxZoom: focusMaxZoom });
      path.openPopup();
      return true;
    }
    div.areaMapFocus = focusArea; // for the delegated handlers below, not a global
    div.addEventListener('area-map:focus', function (event) {
      if (event.detail && event.detail.areaId !== undefined) focusArea(event.detail.areaId);
    });
    focusFromHash([div]);
  }

  function hashArea() {
    const match = /(?:^#|&)area=([^&]+)/.exec(window.location.hash);
    if (!match) return null;
    try { return decodeURIComponent(match[1]); } catch (e) { return null; } // malformed %-escape
  }

  function focusFromHash(maps) {
    const areaId = hashArea();
    if (areaId === null) return;
    maps.forEach(function (div) { if (div.areaMapFocus) div.areaMapFocus(areaId); });
  }

  function start() {
    const maps = Array.prototype.slice.call(document.querySelectorAll('div.area-map[data-geojson]'));
    if (!maps.length) return;
    maps.forEach(initMap);

    // One delegated handler for the ranked table's links, so rows added later also work.
    document.addEventListener('click', function (event) {
      const link = event.target.closest ? event.target.closest('[data-map-focus]') : null;
      if (!link) return;
      const target = link.dataset.mapTarget ? document.getElementById(link.dataset.mapTarget) : null;
      const candidates = target ? [target] : maps;
      let done = false;
      candidates.forEach(function (div) {
        if (!done && div.areaMapFocus && div.areaMapFocus(link.dataset.mapFocus)) {
          done = true;
          div.scrollIntoView({ block: 'nearest' });
        }
      });
      if (done) event.preventDefault();
    });
    window.addEventListener('hashchange', function () { focusFromHash(maps); });
  }

  // Normally loaded with defer (runs before DOMContentLoaded), but do not miss the event if the
  // script is ever loaded late.
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}());
