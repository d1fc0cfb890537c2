package fhir

import (
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
		{"FT", "Tom & Jerry^second part", "Tom & Jerry second part"},
		{"ST", "A&B&&C", "A&B&&C"},
		{"ST", "A\\T\\B & C", "A&B & C"},
		{"TX", "line 1\\.br\\line 2 & more", "line 1\nline 2 & more"},
		{"ST", "120^over^80", "120 over 80"},
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
