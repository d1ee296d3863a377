// Progressive enhancement: the risk preview follows the design as it changes.
// Without this script the "Update the preview" button does the same with a full page.
const form = document.getElementById("designer-form");
const box = document.getElementById("risk-preview");
if (form && box) {
  let timer = null;
  let latest = 0;
  const refresh = async () => {
    const ticket = ++latest;
    const data = new FormData(form);
    data.set("action", "preview");
    data.delete("specification");
    try {
      const response = await fetch(form.dataset.previewUrl, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-Fullvalue-Partial": "preview" },
      });
      if (ticket === latest && response.ok) {
        box.innerHTML = await response.text();
        box.dataset.updated = String(ticket);
      }
    } catch (error) {
      // Keep the "Update the preview" button working if the request fails.
    }
  };
  const schedule = (event) => {
    if (event.target && event.target.type === "file") return;
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 500);
  };
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
}
