// Starts GOV.UK Frontend's components. A file of its own: the pages' CSP allows no inline script.
// Every task on the pages works without it; it adds only the enhancements (e.g. the error summary's focus).
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
