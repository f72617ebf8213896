/* Ranked areas: keep the "Areas chosen / Groups chosen" line in step with the ticks.
 *
 * The server already carries the choice across pages and sorting (every page, sort and continue
 * button submits the form with the ticks, and ticks of other pages travel as hidden inputs), so
 * without this script nothing is lost; it only updates the count as the user ticks, and the
 * status line is a polite live region so screen readers hear the new count.
 */
(function () {
  'use strict';
  const form = document.getElementById('choose');
  const status = document.getElementById('chosen-count');
  if (!form || !status) return;

  function count(name) {
    const boxes = form.querySelectorAll('input[type="checkbox"][name="' + name + '"]:checked');
    const hidden = form.querySelectorAll('input[type="hidden"][name="' + name + '"]');
    return boxes.length + hidden.length;
  }

  function render() {
    const lang = document.documentElement.lang || undefined;
    const areas = status.querySelector('.chosen-areas');
    const groups = status.querySelector('.chosen-groups');
    if (areas) areas.textContent = status.dataset.templateAreas.replace('{n}', count('area').toLocaleString(lang));
    if (groups) groups.textContent = status.dataset.templateGroups.replace('{n}', count('segment').toLocaleString(lang));
  }

  form.addEventListener('change', function (event) {
    if (event.target && event.target.type === 'checkbox') render();
  });
})();
