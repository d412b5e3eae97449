"use strict";
const form = document.getElementById("confirm");
const outcome = document.getElementById("outcome");
const button = form.querySelector("button");
const token = new URLSearchParams(window.location.search).get("token") ?? "";
// Out of the address bar and the history: the link works once, and only from this page.
window.history.replaceState(null, "", window.location.pathname);
if (!token) {
  outcome.textContent = "This address has no token: open the link in the mail again.";
  form.hidden = true;
}
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  button.disabled = true;
  try {
    const answer = await fetch(form.dataset.action, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token, ...Object.fromEntries(new FormData(form)) }),
    });
    if (answer.ok) {
      outcome.textContent = form.dataset.done;
      form.hidden = true;
      return;
    }
    const { detail } = await answer.json().catch(() => ({ detail: answer.statusText }));
    outcome.textContent = Array.isArray(detail)
      ? detail.map((error) => error.msg).join(" ")
      : String(detail);
  } catch {
    outcome.textContent = "The service could not be reached: try again in a moment.";
  }
  button.disabled = false;
});
