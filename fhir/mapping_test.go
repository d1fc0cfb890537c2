package fhir

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/courier-hl7/courier/hl7"
)

// convertResources converts msg (segments separated by "\r") with c, checks the Bundle
// against the FHIR schema, the invariants and the AppendJSON path, and returns its
// resources, each as decoded JSON.
func convertResources(t *testing.T, c *Converter, msg string) []map[string]any {
	t.Helper()
	m, err := hl7.Parse([]byte(msg))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if d := checkIdentity(c, m); d != "" {
		t.Errorf("AppendJSON: %s", d)
	}
	js := mustConvert(t, c, []byte(msg))
	for _, p := range checkBundle(fhirSchemaOrNil(t), js) {
		t.Error(p)
	}
	var b struct {
		Entry []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(js, &b); err != nil {
		t.Fatal(err)
	}
	out := make([]map[string]any, 0, len(b.Entry))
	for _, e := range b.Entry {
		out = append(out, e.Resource)
	}
	return out
}

// ofType returns the resources of type typ, in entry order.
func ofType(rs []map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, r := range rs {
		if r["resourceType"] == typ {
			out = append(out, r)
		}
	}
	return out
}

// jsonOf returns v as compact JSON, for comparing parts of resources.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// TestPatientObservationKeyedByMessage checks that an OBX of an ORU^R01 that comes before
// any OBR (an observation about the patient, with no report to key it) gets an id of its
// message: replaying the message gives the same id, another result message for the same
// patient another one, so that its PUT does not replace the first message's Observation.
func TestPatientObservationKeyedByMessage(t *testing.T) {
	c, err := NewConverter(Options{})
	if err != nil {
		t.Fatal(err)
	}
	msg := func(ctrl, weight string) string {
		return "MSH|^~\\&|LAB|GHLAB|EHR|GH|20240316091500||ORU^R01^ORU_R01|" + ctrl + "|P|2.5.1\r" +
			"PID|1||MRN9^^^GH^MR||Roe^Ann\r" +
			"OBX|1|NM|29463-7^Body weight^LN||" + weight + "|kg^^UCUM|||||F\r" +
			"OBR|1|PL9|FL9|24331-1^Lipid panel^LN\r" +
			"OBX|1|NM|2093-3^Cholesterol^LN||195|mg/dL^^UCUM|||||F\r"
	}
	obsIDs := func(m string) (patientObs, reportObs string) {
		obs := ofType(convertResources(t, c, m), "Observation")
		if len(obs) != 2 {
			t.Fatalf("%d Observations, want 2", len(obs))
		}
		return obs[0]["id"].(string), obs[1]["id"].(string)
	}
	p1, r1 := obsIDs(msg("M1", "70"))
	p1again, _ := obsIDs(msg("M1", "70"))
	p2, r2 := obsIDs(msg("M2", "72"))
	if p1 != p1again {
		t.Errorf("the same message gives patient observation ids %s and %s", p1, p1again)
	}
	if p1 == p2 {
		t.Errorf("two result messages give their patient observations the same id %s: the second replaces the first", p1)
	}
	if r1 != r2 {
		t.Errorf("the report's observation, keyed by its order, changed id: %s, %s", r1, r2)
	}
}

// TestObservationValueSN checks OBX-5 values of type SN against the guide's OBX[Observation]
// rows: a Quantity, Range or Ratio when one reads, and otherwise (the row "If line 19
// through 23 all fail while OBX-2 = SN", like the "<>" and "+" rows) the string
// OBX-5.1+" "+OBX-5.2+" "+OBX-5.3+" "+OBX-5.4+" "+OBX-6.
func TestObservationValueSN(t *testing.T) {
	c, err := NewConverter(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		value, units string
		want         string // the Observation's value[x], as JSON
	}{
		{"<^10", "mg/dL^^UCUM", `{"valueQuantity":{"code":"mg/dL","comparator":"<","system":"http://unitsofmeasure.org","unit":"mg/dL","value":10}}`},
		{"^1^:^128", "", `{"valueRatio":{"denominator":{"value":128},"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/originalText","valueString":"1 : 128"}],"numerator":{"value":1}}}`},
		{"<>^1^-^5", "mg^^UCUM", `{"valueString":"<> 1 - 5 mg"}`},
		{"^2^+^", "mg^^UCUM", `{"valueString":"2 + mg"}`},
		// No Quantity, Range or Ratio reads: the string keeps the units.
		{">=^5^-^10", "mg^^UCUM", `{"valueString":">= 5 - 10 mg"}`},
		{"ca^5", "mmol/L^^UCUM", `{"valueString":"ca 5 mmol/L"}`},
		{"^abc", "", `{"valueString":"abc"}`},
	}
	for _, tt := range tests {
		msg := "MSH|^~\\&|LAB|GHLAB|EHR|GH|20240316091500||ORU^R01^ORU_R01|SN1|P|2.5.1\r" +
			"PID|1||MRN9^^^GH^MR||Roe^Ann\r" +
			"OBR|1|PL9|FL9|24331-1^Lipid panel^LN\r" +
			"OBX|1|SN|2085-9^HDL^LN||" + tt.value + "|" + tt.units + "|||||F\r"
		obs := ofType(convertResources(t, c, msg), "Observation")
		if len(obs) != 1 {
			t.Fatalf("%q: %d Observations, want 1", tt.value, len(obs))
		}
		got := map[string]any{}
		for k, v := range obs[0] {
			if strings.HasPrefix(k, "value") {
				got[k] = v
			}
		}
		if g := jsonOf(t, got); g != tt.want {
			t.Errorf("SN %q with units %q:\n got %s\nwant %s", tt.value, tt.units, g, tt.want)
		}
	}
}

// TestTextKeepsUnescapedSeparators checks that text values (OBX-5 of type ST, TX or FT,
// NTE-3, MDM document lines) keep what follows a sub-component or component separator that
// the sender left unescaped, as senders do with "&" in free text: the text types have no
// sub-components, and dropping the rest of the text loses clinical content.
func TestTextKeepsUnescapedSeparators(t *testing.T) {
	c, err := NewConverter(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		typ, value string
		want       string
	}{
		{"TX", "Seen by Dr A & Dr B", "Seen by Dr A & Dr B"},
		{"FT", "Tom & Jerry^second part", "Tom & Jerry^second part"},
		{"ST", "A&B&&C", "A&B&&C"},
		{"ST", "A\\T\\B & C", "A&B & C"},
		{"TX", "line 1\\.br\\line 2 & more", "line 1\nline 2 & more"},
		{"ST", "120^over^80", "120^over^80"},
	}
	for _, tt := range tests {
		msg := "MSH|^~\\&|LAB|GHLAB|EHR|GH|20240316091500||ORU^R01^ORU_R01|TX1|P|2.5.1\r" +
			"PID|1||MRN9^^^GH^MR||Roe^Ann\r" +
			"OBR|1|PL9|FL9|24331-1^Lipid panel^LN\r" +
			"OBX|1|" + tt.typ + "|8251-1^Comment^LN||" + tt.value + "||||||F\r" +
			"NTE|1|L|" + tt.value + "\r"
		obs := ofType(convertResources(t, c, msg), "Observation")
		if len(obs) != 1 {
			t.Fatalf("%q: %d Observations, want 1", tt.value, len(obs))
		}
		if got := obs[0]["valueString"]; got != tt.want {
			t.Errorf("OBX-5 %s %q: valueString %q, want %q", tt.typ, tt.value, got, tt.want)
		}
		notes, _ := obs[0]["note"].([]any)
		if len(notes) != 1 {
			t.Fatalf("NTE %q: %d notes, want 1", tt.value, len(notes))
		}
		if got := notes[0].(map[string]any)["text"]; got != tt.want {
			t.Errorf("NTE-3 %q: note %q, want %q", tt.value, got, tt.want)
		}
	}
}

// TestControlCharacters checks that control characters, which hex escapes (\X07\) and raw
// bytes put in decoded text, do not reach FHIR strings: FHIR R4's string type
// (datatypes.html#string) allows none below U+0020 but tab, carriage return and line feed.
// fhirString replaces each with U+FFFD, wherever the text is read (leaf, component and
// whole-repetition text); base64 attachment data keeps the bytes the sender sent.
func TestControlCharacters(t *testing.T) {
	c, err := NewConverter(Options{})
	if err != nil {
		t.Fatal(err)
	}
	const r = "\uFFFD"
	tests := []struct {
		name  string
		value string // OBX-5 of type ST, NTE-3, PID-5.1, PID-3.1 and OBX-3.2
		want  string
		nte   string // NTE-3, value^more: the text with the sender's "^" (default want^more)
	}{
		{"bell escape", `a\X07\b`, "a" + r + "b", ""},
		{"escape and null", `x\X1B\y\X00\z`, "x" + r + "y" + r + "z", ""},
		{"null at the end", `Roe\X00\`, "Roe" + r, ""},
		{"form feed and vertical tab inside", `p1\X0C\p2\X0B\p3`, "p1" + r + "p2" + r + "p3", ""},
		{"raw control byte", "a\x01b", "a" + r + "b", ""},
		{"raw control byte beside an escape", "a\x1f\\T\\b", "a" + r + "&b", ""},
		{"tab, carriage return and line feed stay", `a\X09\b\X0D\\X0A\c`, "a\tb\r\nc", ""},
		{"white space at the ends is trimmed", `\X0B\\X0C\ab\X0C\`, "ab", "ab" + r + "^more"}, // inside the NTE text, the form feed is no end
		{"no control character", `plain \T\ text`, "plain & text", ""},
	}
	for _, tt := range tests {
		msg := "MSH|^~\\&|LAB|GHLAB|EHR|GH|20240316091500||ORU^R01^ORU_R01|CC1|P|2.5.1\r" +
			"PID|1||" + tt.value + "^^^GH^MR||" + tt.value + "^Ann\r" +
			"OBR|1|PL9|FL9|24331-1^Lipid panel^LN\r" +
			"OBX|1|ST|8251-1^" + tt.value + "^LN||" + tt.value + "||||||F\r" +
			"NTE|1|L|" + tt.value + "^more\r"
		rs := convertResources(t, c, msg)
		obs, pats := ofType(rs, "Observation"), ofType(rs, "Patient")
		if len(obs) != 1 || len(pats) != 1 {
			t.Fatalf("%s: %d Observations and %d Patients, want 1 and 1", tt.name, len(obs), len(pats))
		}
		o, p := obs[0], pats[0]
		got := map[string]any{
			"OBX-5":   o["valueString"],
			"OBX-3.2": o["code"].(map[string]any)["coding"].([]any)[0].(map[string]any)["display"],
			"NTE-3":   o["note"].([]any)[0].(map[string]any)["text"],
			"PID-3.1": p["identifier"].([]any)[0].(map[string]any)["value"],
			"PID-5.1": p["name"].([]any)[0].(map[string]any)["family"],
		}
		nte := tt.nte
		if nte == "" {
			nte = tt.want + "^more"
		}
		want := map[string]any{"OBX-5": tt.want, "OBX-3.2": tt.want, "NTE-3": nte, "PID-3.1": tt.want, "PID-5.1": tt.want}
		if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
			t.Errorf("%s: %q:\n got %s\nwant %s", tt.name, tt.value, g, w)
		}
	}
}

// TestControlCharactersInAttachments checks that base64 attachment data, which may carry
// any byte, keeps the control characters of the text it encodes: an OBX-5 ED with text
// data, and the lines and notes of an MDM document.
func TestControlCharactersInAttachments(t *testing.T) {
	c, err := NewConverter(Options{})
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	obs := ofType(convertResources(t, c, "MSH|^~\\&|LAB|GHLAB|EHR|GH|20240316091500||ORU^R01^ORU_R01|CC2|P|2.5.1\r"+
		"PID|1||MRN9^^^GH^MR||Roe^Ann\r"+
		"OBR|1|PL9|FL9|24331-1^Lipid panel^LN\r"+
		`OBX|1|ED|x^Doc^L||^TEXT^PLAIN^A^page 1\X0C\page 2`+"\r"), "Observation")
	if len(obs) != 1 {
		t.Fatalf("%d Observations, want 1", len(obs))
	}
	ext, _ := obs[0]["extension"].([]any)
	if len(ext) != 1 {
		t.Fatalf("ED: extension %v, want the valueAttachment extension", obs[0]["extension"])
	}
	if got, want := ext[0].(map[string]any)["valueAttachment"].(map[string]any)["data"], b64("page 1\fpage 2"); got != want {
		t.Errorf("ED text data: %v, want %v", got, want)
	}

	docs := ofType(convertResources(t, c, "MSH|^~\\&|DICT|GH|EHR|GH|20240319120000||MDM^T02^MDM_T02|CC3|P|2.5.1\r"+
		"PID|1||MRN9^^^GH^MR||Roe^Ann\r"+
		"TXA|1|11506-3^Progress note^LN|TX||||||||||DOC9^GH\r"+
		`OBX|1|TX|11506-3^Progress note^LN||line 1\X0C\page 2||||||F`+"\r"+
		`NTE|1||note\X07\`+"\r"), "DocumentReference")
	if len(docs) != 1 {
		t.Fatalf("%d DocumentReferences, want 1", len(docs))
	}
	var data []string
	for _, ct := range docs[0]["content"].([]any) {
		data = append(data, ct.(map[string]any)["attachment"].(map[string]any)["data"].(string))
	}
	if want := []string{b64("line 1\fpage 2"), b64("note\a")}; jsonOf(t, data) != jsonOf(t, want) {
		t.Errorf("MDM attachment data %v, want %v", data, want)
	}
}

// TestAppointmentTimes checks Appointment.start, end, minutesDuration, status and
// requestedPeriod from SCH-9 (duration), SCH-10 (its units), SCH-11 (TQ: .4 start, .5 end),
// SCH-25 (filler status) and the resources' durations, against FHIR R4's invariants app-2
// (start and end both or neither) and app-3 (only proposed, cancelled and waitlist may lack
// them), which a server enforces: the guide maps SCH-9 to minutesDuration when SCH-10 is
// minutes and TQ.4/TQ.5 to start/end (SCH[Appointment], TQ[Appointment]); an end missing is
// the start plus the appointment's length, and without a length see settleTimes.
func TestAppointmentTimes(t *testing.T) {
	c, err := NewConverter(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                   string
		dur, units, tq, status string // SCH-9, SCH-10, SCH-11, SCH-25
		more                   string // segments after PID
		want                   string // start, end, minutesDuration, status, requestedPeriod as JSON
	}{
		{"start and end", "30", "min", "^^^20240325100000-0500^20240325103000-0500", "", "",
			`{"end":"2024-03-25T10:30:00-05:00","minutesDuration":30,"start":"2024-03-25T10:00:00-05:00","status":"booked"}`},
		{"start and duration in minutes", "30", "min", "^^^20240325100000-0500", "Booked", "",
			`{"end":"2024-03-25T10:30:00-05:00","minutesDuration":30,"start":"2024-03-25T10:00:00-05:00","status":"booked"}`},
		{"duration without units is minutes", "45", "", "^^^20240325100000-0500", "", "",
			`{"end":"2024-03-25T10:45:00-05:00","minutesDuration":45,"start":"2024-03-25T10:00:00-05:00","status":"booked"}`},
		{"duration in hours: an end, no minutesDuration", "2", "h^hours^ISO+", "^^^20240325100000-0500", "", "",
			`{"end":"2024-03-25T12:00:00-05:00","start":"2024-03-25T10:00:00-05:00","status":"booked"}`},
		{"fractional start keeps its digits and offset", "30", "MIN", "^^^20240325100000.25+0215", "", "",
			`{"end":"2024-03-25T10:30:00.25+02:15","minutesDuration":30,"start":"2024-03-25T10:00:00.25+02:15","status":"booked"}`},
		{"end and duration", "30", "min", "^^^^20240325103000-0500", "", "",
			`{"end":"2024-03-25T10:30:00-05:00","minutesDuration":30,"start":"2024-03-25T10:00:00-05:00","status":"booked"}`},
		{"resource duration ends it", "", "", "^^^20240325100000-0500", "", "AIS|1||99213^Visit^C4|20240325100000-0500|||20|min\r",
			`{"end":"2024-03-25T10:20:00-05:00","start":"2024-03-25T10:00:00-05:00","status":"booked"}`},
		{"the appointment's length before a shorter resource", "30", "min", "^^^20240325100000-0500", "", "AIS|1||99213^Visit^C4|20240325100000-0500|||20|min\r",
			`{"end":"2024-03-25T10:30:00-05:00","minutesDuration":30,"start":"2024-03-25T10:00:00-05:00","status":"booked"}`},
		{"a resource's start and the appointment's length", "30", "min", "", "", "AIS|1||99213^Visit^C4|20240325100000-0500\r",
			`{"end":"2024-03-25T10:30:00-05:00","minutesDuration":30,"start":"2024-03-25T10:00:00-05:00","status":"booked"}`},
		// No end can be derived: the start is kept as the requested period and the
		// status is one that may lack start and end.
		{"start only, booked by default", "", "", "^^^20240325100000-0500", "", "",
			`{"requestedPeriod":[{"start":"2024-03-25T10:00:00-05:00"}],"status":"proposed"}`},
		{"start only, booked", "", "", "^^^20240325100000-0500", "Booked", "",
			`{"requestedPeriod":[{"start":"2024-03-25T10:00:00-05:00"}],"status":"proposed"}`},
		{"start only, duration in unknown units", "3", "wk", "^^^20240325100000-0500", "Booked", "",
			`{"requestedPeriod":[{"start":"2024-03-25T10:00:00-05:00"}],"status":"proposed"}`},
		{"start only, pending", "", "", "^^^20240325100000-0500", "Pending", "",
			`{"requestedPeriod":[{"start":"2024-03-25T10:00:00-05:00"}],"status":"proposed"}`},
		{"start only, complete", "", "", "^^^20240325100000-0500", "Complete", "",
			`{"requestedPeriod":[{"start":"2024-03-25T10:00:00-05:00"}],"status":"proposed"}`},
		{"start only, cancelled", "", "", "^^^20240325100000-0500", "Cancelled", "",
			`{"requestedPeriod":[{"start":"2024-03-25T10:00:00-05:00"}],"status":"cancelled"}`},
		{"start only, waitlist", "", "", "^^^20240325100000-0500", "Waitlist", "",
			`{"requestedPeriod":[{"start":"2024-03-25T10:00:00-05:00"}],"status":"waitlist"}`},
		{"start only, no show", "", "", "^^^20240325100000-0500", "Noshow", "",
			`{"requestedPeriod":[{"start":"2024-03-25T10:00:00-05:00"}],"status":"cancelled"}`},
		{"start only, deleted", "", "", "^^^20240325100000-0500", "Deleted", "",
			`{"requestedPeriod":[{"start":"2024-03-25T10:00:00-05:00"}],"status":"cancelled"}`},
		{"start only, resource without duration", "", "", "^^^20240325100000-0500", "", "AIS|1||99213^Visit^C4|20240325100000-0500\r",
			`{"requestedPeriod":[{"start":"2024-03-25T10:00:00-05:00"}],"status":"proposed"}`},
		{"end only", "", "", "^^^^20240325103000-0500", "Booked", "",
			`{"requestedPeriod":[{"end":"2024-03-25T10:30:00-05:00"}],"status":"proposed"}`},
		{"no times, booked", "30", "min", "", "Booked", "",
			`{"minutesDuration":30,"status":"proposed"}`},
		{"no times, cancelled", "", "", "", "Cancelled", "",
			`{"status":"cancelled"}`},
	}
	for _, tt := range tests {
		sch := make([]string, 26)
		sch[0], sch[1], sch[9], sch[10], sch[11], sch[25] = "SCH", "APPT-1^SCHED", tt.dur, tt.units, tt.tq, tt.status
		msg := "MSH|^~\\&|SCHED|GH|EHR|GH|20240320083000-0500||SIU^S12^SIU_S12|APPT1|P|2.5.1\r" +
			strings.Join(sch, "|") + "\r" +
			"PID|1||MRN1^^^GH^MR||Doe^Jane\r" + tt.more
		appts := ofType(convertResources(t, c, msg), "Appointment")
		if len(appts) != 1 {
			t.Fatalf("%s: %d Appointments, want 1", tt.name, len(appts))
		}
		got := map[string]any{}
		for _, k := range []string{"start", "end", "minutesDuration", "status", "requestedPeriod"} {
			if v, ok := appts[0][k]; ok {
				got[k] = v
			}
		}
		if g := jsonOf(t, got); g != tt.want {
			t.Errorf("%s: SCH-9 %q SCH-10 %q SCH-11 %q SCH-25 %q:\n got %s\nwant %s", tt.name, tt.dur, tt.units, tt.tq, tt.status, g, tt.want)
		}
	}
}

// TestTimingBounds checks ServiceRequest.occurrenceTiming.repeat.boundsPeriod from TQ1-7
// (start) and TQ1-8 (end), which the guide maps only "IF TQ1-6 NOT VALUED"
// (TQ1[ServiceRequest], TQ1-8): TQ1-6, the service duration, has rows of its own.
func TestTimingBounds(t *testing.T) {
	c, err := NewConverter(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dur, start, end string // TQ1-6, TQ1-7, TQ1-8
		want            string // boundsPeriod as JSON, or null
	}{
		{"", "20240318090000-0500", "20240318100000-0500", `{"end":"2024-03-18T10:00:00-05:00","start":"2024-03-18T09:00:00-05:00"}`},
		{"", "", "20240318100000-0500", `{"end":"2024-03-18T10:00:00-05:00"}`},
		{`""`, "", "20240318100000-0500", `{"end":"2024-03-18T10:00:00-05:00"}`},
		// All three: the sender's end is kept (no row of the guide maps it then).
		{"90^min&minutes&UCUM", "20240318090000-0500", "20240318100000-0500", `{"end":"2024-03-18T10:00:00-05:00","start":"2024-03-18T09:00:00-05:00"}`},
		// One bound and the duration: the other bound from them (the guide's TQ1-6 rows).
		{"60^min&minutes&UCUM", "20240318090000-0500", "", `{"end":"2024-03-18T10:00:00-05:00","start":"2024-03-18T09:00:00-05:00"}`},
		{"60^min&minutes&UCUM", "", "20240318100000-0500", `{"end":"2024-03-18T10:00:00-05:00","start":"2024-03-18T09:00:00-05:00"}`},
		{"2^h", "20240318090000-0500", "", `{"end":"2024-03-18T11:00:00-05:00","start":"2024-03-18T09:00:00-05:00"}`},
		{"3^wk", "20240318090000-0500", "", `{"start":"2024-03-18T09:00:00-05:00"}`}, // a unit minutes() does not read
	}
	for _, tt := range tests {
		msg := "MSH|^~\\&|EHR|GH|LAB|GHLAB|20240318081000-0500||OML^O21^OML_O21|TQ1|P|2.5.1\r" +
			"PID|1||MRN1^^^GH^MR||Doe^Jane\r" +
			"ORC|NW|ORD1^EHR\r" +
			"TQ1|1|||||" + tt.dur + "|" + tt.start + "|" + tt.end + "\r" +
			"OBR|1|ORD1^EHR||2345-7^Glucose^LN\r"
		srs := ofType(convertResources(t, c, msg), "ServiceRequest")
		if len(srs) != 1 {
			t.Fatalf("TQ1-6 %q: %d ServiceRequests, want 1", tt.dur, len(srs))
		}
		var bounds any
		if timing, ok := srs[0]["occurrenceTiming"].(map[string]any); ok {
			bounds = timing["repeat"].(map[string]any)["boundsPeriod"]
		}
		if got := jsonOf(t, bounds); got != tt.want {
			t.Errorf("TQ1-6 %q TQ1-7 %q TQ1-8 %q: boundsPeriod %s, want %s", tt.dur, tt.start, tt.end, got, tt.want)
		}
	}
}
