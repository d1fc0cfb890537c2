// Drop A08 (update patient information) messages that change nothing the EHR stores.
//
// For every ADT message the script computes a fingerprint of the demographic fields the EHR
// keeps and stores it in channel state, per patient. An A08 whose fingerprint equals the
// stored one is filtered: it is still stored by Courier (status FILTERED for this
// destination), but the EHR does not receive it.
const mrn = msg.get("PID-3.1");
if (mrn === "") {
  return; // nothing to compare with
}
const fields = ["PID-5", "PID-7", "PID-8", "PID-11", "PID-13", "PV1-2", "PV1-3", "PV1-7"];
const fingerprint = fields.map((p) => msg.get(p)).join("|");
const key = "fp:" + mrn;
const previous = channel.state.get(key);
if (msg.get("MSH-9.2") === "A08" && previous === fingerprint) {
  msg.filter("A08 changes nothing the EHR stores");
  return;
}
channel.state.set(key, fingerprint);
