// Draws the page's interactive figures: each is a <div class="trauma-plotly"> followed
// by its Plotly specification as JSON (trauma.book.extension writes both).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("div.trauma-plotly").forEach(function (div) {
    var spec = JSON.parse(div.nextElementSibling.textContent);
    Plotly.newPlot(div, spec.data, spec.layout, {responsive: true, displaylogo: false, typesetMath: false});
  });
});
