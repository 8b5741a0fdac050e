// A watchlist file chosen in the form is read into its text box, so the form sends text
// and the server needs no file upload.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  const file = document.getElementById("wl-file");
  const cones = document.getElementById("wl-cones");
  if (!file || !cones) return;
  file.addEventListener("change", () => {
    const f = file.files[0];
    if (!f) return;
    const reader = new FileReader();
    reader.onload = () => { cones.value = reader.result; };
    reader.readAsText(f);
  });
});
