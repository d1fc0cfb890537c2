// Keep only the critical observations (OBX-8 HH, LL or AA) for the on-call pager system.
//
// An NTE right after an OBX is a comment on that observation ("hemolyzed", "called to ward"):
// it goes with its OBX, so that a comment about a normal result is never shown under a
// critical one. NTEs after the OBR (comments on the whole order) stay.
const critical = ["HH", "LL", "AA"];
const obxs = msg.segments("OBX");
const dropOBX = [];
const dropNTE = [];
let obx = 0;
let nte = 0;
let dropping = false; // the last OBX seen is not critical
for (const line of msg.toString().split(/\r\n|\r|\n/)) {
  const name = line.slice(0, 3);
  if (name === "OBX") {
    obx++;
    dropping = !critical.includes(obxs[obx - 1].get("8"));
    if (dropping) dropOBX.push(obx);
  } else if (name === "NTE") {
    nte++;
    if (dropping) dropNTE.push(nte);
  } else if (name !== "") {
    dropping = false;
  }
}
// Remove from the last, so that the occurrence numbers still to be removed stay right.
for (const n of dropNTE.reverse()) msg.removeSegment("NTE[" + n + "]");
for (const n of dropOBX.reverse()) msg.removeSegment("OBX[" + n + "]");
// OBX-1 (Set ID) numbers the observations of the message 1, 2, ... again.
const kept = msg.segments("OBX");
for (let i = 0; i < kept.length; i++) kept[i].set("1", String(i + 1));
