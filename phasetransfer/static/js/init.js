// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "/static/govuk-frontend/govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// A part of a form that only some answers need (``data-app-shown-for``: the values of the
// radios named ``data-app-shown-by`` it is for) is hidden until one of them is chosen.
// GOV.UK's conditional reveal shows a part under one radio only; this one serves several.
// Without JavaScript every part shows, with a hint saying which answers it is for.
for (const part of document.querySelectorAll("[data-app-shown-by]")) {
  const radios = document.querySelectorAll(
    `input[type=radio][name="${part.dataset.appShownBy}"]`,
  );
  const wanted = part.dataset.appShownFor.split(" ");
  const update = () => {
    const chosen = [...radios].find((radio) => radio.checked);
    // A part with an error stays visible: the error must be seen to be put right.
    const needed = chosen !== undefined && wanted.includes(chosen.value);
    part.hidden = !needed && !part.querySelector(".govuk-error-message");
  };
  radios.forEach((radio) => radio.addEventListener("change", update));
  update();
}
