package fhir_test

import (
	"context"
	"testing"

	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/connector"
	"github.com/courier-hl7/courier/internal/connector/fhir"
	"github.com/courier-hl7/courier/internal/server"
)

// TestSharedFields: the destination decodes inside a real courier.yaml, next to the keys
// every destination has (name, timeout, retry, steps...), none of which it redeclares.
func TestSharedFields(t *testing.T) {
	env := connector.NewEnv()
	if err := env.RegisterDestination(fhir.Spec(), fhir.New); err != nil {
		t.Fatal(err)
	}
	doc := "channels:\n  - name: adt\n    destinations:\n      - name: fhir\n        type: fhir\n" +
		"        url: https://fhir.hospital.example/r4\n        timeout: 20s\n        request_timeout: 10s\n" +
		"        retry:\n          max_attempts: 5\n"
	root, err := config.Decode("courier.yaml", []byte(doc), server.RootSpec(), env.Specs(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	n := root.List("channels")[0].List("destinations")[0]
	d, err := env.NewDestination(n, connector.Deps{Channel: "adt", Name: "fhir", BaseDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(context.Background()); err != nil {
		t.Error(err)
	}
}
