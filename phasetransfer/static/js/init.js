// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "/static/govuk-frontend/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
