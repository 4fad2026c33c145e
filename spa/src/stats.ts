// The stats page's entry (stats.html, served at /stats). Its styles and uPlot's are injected
// here rather than bundled into app.css, which every page loads: the other pages' first-load
// bytes stay exactly what they were (scripts/budget.mjs).
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import statsCss from './styles/stats.css?inline';
import { startStatsPage } from './stats/page';

const style = document.createElement('style');
style.textContent = uplotCss + statsCss;
document.head.append(style);
startStatsPage(document);
