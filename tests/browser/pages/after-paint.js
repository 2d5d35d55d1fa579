// The benchmark page's loader. It starts the widget's scripts (the page's `scripts` parameter,
// in order; `type=module` for modules) once the page has painted its first frame, so the page's own parse and first
// frame fall before the measured window in every run, for every widget alike. Left to the
// browser, a module script on a page this small ran sometimes before that frame and sometimes
// after it, moving about 30 ms of the page's own work in or out of the window. This is also the
// harder case for a widget: its card needs a frame of its own.
const query = new URLSearchParams(location.search);
const scripts = query.get("scripts").split(",");
const module = query.get("type") === "module";
requestAnimationFrame(() => setTimeout(() => {
  performance.mark("bench:script-start");
  for (const src of scripts) {
    const script = document.createElement("script");
    if (module) script.type = "module";
    script.async = false; // classic scripts run in order, as `defer` ones would
    script.src = src;
    document.head.append(script);
  }
}));
