// Progressive enhancement of the details page: "Rezerviraj" opens the code step as a dialog over
// the form, as in the guide. Without JavaScript the same step is a page of its own.

function showDialog(form, card) {
  const dialog = document.createElement("dialog");
  dialog.setAttribute("aria-labelledby", "verify-title");
  card.removeAttribute("role");
  card.removeAttribute("aria-labelledby");
  dialog.append(card);
  document.getElementById("dialog-slot").replaceChildren(dialog);
  // "Nazaj" closes the dialog and keeps what was typed; submitting again releases this hold.
  card.querySelector("[data-back]")?.addEventListener("click", (event) => {
    event.preventDefault();
    dialog.close();
  });
  form.querySelector("input[name=replaces]").value = card.dataset.token;
  dialog.showModal();
  card.querySelector("input[name=code]")?.focus();
}

function wire(form) {
  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    let page, response;
    try {
      response = await fetch(form.action, { method: "POST", body: new FormData(form) });
      page = new DOMParser().parseFromString(await response.text(), "text/html");
    } catch {
      form.submit();  // the network failed: fall back to the plain page
      return;
    } finally {
      button.disabled = false;
    }
    const card = page.querySelector("[data-verify]");
    if (response.redirected && card) {
      showDialog(form, document.adoptNode(card));
      return;
    }
    // The server refused (a field, or the time was taken): show its answer; nothing typed is lost.
    const main = document.adoptNode(page.querySelector("main"));
    document.querySelector("main").replaceWith(main);
    main.focus();
    wire(main.querySelector("form[data-hold]"));
  });
}

wire(document.querySelector("form[data-hold]"));
