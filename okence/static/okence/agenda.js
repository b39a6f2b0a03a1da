// The agenda's print button: shown only where a script can print (the browser's own print works
// without it).
const button = document.querySelector(".print-button");
if (button) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
