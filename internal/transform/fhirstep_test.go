package transform

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/courier-hl7/courier/fhir"
	"github.com/courier-hl7/courier/internal/config"
)

// TestFHIRStep: a destination's fhir step makes the Bundle the fhir package makes with the
// same options, labelled application/fhir+json.
func TestFHIRStep(t *testing.T) {
	dir := t.TempDir()
	p, err := destYAML(t, dir, `
steps:
  - type: fhir
    bundle: batch
    namespace: 9b2d8f4e-6a1c-4c3e-9f7a-2b5d8e1f0a47
    time_zone: Europe/Paris
    identifier_systems:
      HOSP: http://hospital.example.org/mrn
    code_systems:
      L: http://hospital.example.org/codes
`)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(context.Background(), parse(t, er7(oru...)))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outputs) != 1 || res.Outputs[0].ContentType != FHIRContentType {
		t.Fatalf("outputs %+v, want one with content type %s", res.Outputs, FHIRContentType)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	conv, err := fhir.NewConverter(fhir.Options{
		BundleType: fhir.BundleBatch, Namespace: "9b2d8f4e-6a1c-4c3e-9f7a-2b5d8e1f0a47", Location: paris,
		IdentifierSystems: map[string]string{"HOSP": "http://hospital.example.org/mrn"},
		CodeSystems:       map[string]string{"L": "http://hospital.example.org/codes"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want, err := conv.AppendJSON(nil, parse(t, er7(oru...)))
	if err != nil {
		t.Fatal(err)
	}
	got := res.Outputs[0].Body
	if !bytes.Equal(got, want) {
		t.Errorf("body differs from the fhir package's Bundle with the same options:\n got %.300s\nwant %.300s", got, want)
	}
	for _, s := range []string{`"type":"batch"`, `"system":"http://hospital.example.org/mrn"`, `+01:00`} {
		if !bytes.Contains(got, []byte(s)) {
			t.Errorf("body lacks %s, which the options ask for", s)
		}
	}

	// A type the converter does not map fails the step, naming what it maps.
	_, err = p.Run(context.Background(), parse(t, er7("MSH|^~\\&|A|B|C|D|20261127||QRY^A19|Q1|P|2.5", "QRD|20261127|R|I|Q1")))
	if err == nil || !strings.Contains(err.Error(), "step 1 (fhir)") || !strings.Contains(err.Error(), "ORU^R01") {
		t.Errorf("unmapped type: %v, want a step error that names the mapped types", err)
	}
}

// TestFHIRStepConfig: the step belongs to destinations, and bad options are reported at
// their position.
func TestFHIRStepConfig(t *testing.T) {
	dir := t.TempDir()
	strip := func(err error) string {
		if err == nil {
			return "<nil>"
		}
		return strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
	}
	_, err := fromYAML(t, dir, "destinations: [ehr]\nsteps:\n  - type: fhir\n")
	if want := "courier.yaml:3:5: steps[0]: fhir belongs in a destination's steps, not the channel's: the store keeps HL7"; strip(err) != want {
		t.Errorf("in a channel: got %s\nwant %s", strip(err), want)
	}
	_, err = destYAML(t, dir, "steps:\n  - type: fhir\n    time_zone: Mars/Olympus\n    namespace: not-a-uuid\n")
	for _, want := range []string{
		`courier.yaml:3:16: steps[0].time_zone: unknown time zone "Mars/Olympus"`,
		`courier.yaml:4:16: steps[0].namespace: "not-a-uuid" is not a UUID`,
	} {
		if !strings.Contains(strip(err), want) {
			t.Errorf("bad options: got %s\nwant it to contain %s", strip(err), want)
		}
	}
}

// destYAML builds a destination's pipeline (one without destinations to route to).
func destYAML(t testing.TB, dir, yaml string) (*Pipeline, error) {
	t.Helper()
	n, err := config.Decode(filepath.Join(dir, "courier.yaml"), []byte(yaml), testRoot(), testRegistry(t), func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, err
	}
	return FromConfig(n, Deps{Channel: "lab", TableDir: dir, Clock: fixedClock})
}
