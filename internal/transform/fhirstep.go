package transform

import (
	"time"

	"github.com/courier-hl7/courier/fhir"
	"github.com/courier-hl7/courier/internal/config"
)

// FHIRContentType is the media type of what a fhir step makes (FHIR R4 http.html#mime).
const FHIRContentType = "application/fhir+json"

// The keys of the conversion options, shared by the fhir step and the FHIR destination.
const (
	KeyFHIRBundle         = "bundle"
	KeyFHIRNamespace      = "namespace"
	KeyFHIRTimeZone       = "time_zone"
	KeyFHIRIDSystems      = "identifier_systems"
	KeyFHIRCodeSystems    = "code_systems"
	KeyFHIRSourceEndpoint = "source_endpoint"
)

// FHIRFields are the options of the v2-to-FHIR conversion (docs/fhir.md), as the fhir step
// and the FHIR destination declare them.
func FHIRFields() []config.Field {
	return []config.Field{
		{Name: KeyFHIRBundle, Type: config.String, Default: fhir.BundleTransaction,
			Enum: []string{fhir.BundleTransaction, fhir.BundleBatch, fhir.BundleMessage, fhir.BundleCollection},
			Description: "Bundle type to convert to. `transaction` (all " +
				"entries succeed or none), `batch` (entries independent), `message` (FHIR messaging), `collection` " +
				"(stored as a Bundle resource).",
			Example: fhir.BundleBatch},
		{Name: KeyFHIRNamespace, Type: config.String, Default: "",
			Description: "UUID namespace of the resource ids (name-based UUIDs). Channels whose resources must not share ids use different namespaces. Empty: the converter's default namespace.",
			Example:     "9b2d8f4e-6a1c-4c3e-9f7a-2b5d8e1f0a47"},
		{Name: KeyFHIRTimeZone, Type: config.String, Default: "UTC",
			Description: "Time zone of HL7 times sent without an offset: an IANA name, `UTC`, or `Local` (the zone of the machine Courier runs on). Senders usually send local time: set their zone.",
			Example:     "Europe/Paris"},
		{Name: KeyFHIRIDSystems, Type: config.Map, Elem: &config.Field{Type: config.String},
			Description: "Identifier system URI by assigning authority, keyed by the authority's namespace ID (CX.4.1, EI.2, XCN.9.1) or universal ID. Authorities not listed get urn:oid: for ISO universal ids, and no system otherwise.",
			Example:     map[string]any{"GH": "http://hospital.example.org/mrn"}},
		{Name: KeyFHIRCodeSystems, Type: config.Map, Elem: &config.Field{Type: config.String},
			Description: "Code system URI by local v2 coding system name (CWE.3); the names of HL7 table 0396 (LN, SCT, UCUM...) are known.",
			Example:     map[string]any{"L": "http://hospital.example.org/codes"}},
		{Name: KeyFHIRSourceEndpoint, Type: config.String, Default: "",
			Description: "MessageHeader.source.endpoint: the sending system's address as this channel knows it. Empty: derived from MSH-3.",
			Example:     "mllp://adt.hospital.example:2575"},
	}
}

// FHIRConverter builds the converter from the options of FHIRFields, appending each bad
// option to errs at its own position; it returns nil when any was bad.
func FHIRConverter(n *config.Node, errs *config.Errors) *fhir.Converter {
	before := len(*errs)
	opts := fhir.Options{
		BundleType:     n.String(KeyFHIRBundle),
		Namespace:      n.String(KeyFHIRNamespace),
		SourceEndpoint: n.String(KeyFHIRSourceEndpoint),
	}
	loc, err := time.LoadLocation(n.String(KeyFHIRTimeZone))
	if err != nil {
		*errs = append(*errs, n.Errorf(KeyFHIRTimeZone, "unknown time zone %q: use an IANA name like Europe/Berlin, UTC or Local", n.String(KeyFHIRTimeZone)))
	}
	opts.Location = loc
	if _, err := fhir.NewConverter(fhir.Options{Namespace: opts.Namespace}); err != nil {
		*errs = append(*errs, n.Errorf(KeyFHIRNamespace, "%q is not a UUID like 9b2d8f4e-6a1c-4c3e-9f7a-2b5d8e1f0a47", opts.Namespace))
	}
	if _, err := fhir.NewConverter(fhir.Options{SourceEndpoint: opts.SourceEndpoint}); err != nil {
		*errs = append(*errs, n.Errorf(KeyFHIRSourceEndpoint, "%q is not an absolute URI like mllp://adt.hospital.example:2575", opts.SourceEndpoint))
	}
	for _, m := range []struct {
		field string
		dst   *map[string]string
		set   func(map[string]string) fhir.Options
	}{
		{KeyFHIRIDSystems, &opts.IdentifierSystems, func(m map[string]string) fhir.Options { return fhir.Options{IdentifierSystems: m} }},
		{KeyFHIRCodeSystems, &opts.CodeSystems, func(m map[string]string) fhir.Options { return fhir.Options{CodeSystems: m} }},
	} {
		*m.dst = n.StringMap(m.field)
		entries := n.Map(m.field)
		for _, k := range n.MapKeys(m.field) {
			v := (*m.dst)[k]
			if _, err := fhir.NewConverter(m.set(map[string]string{k: v})); err != nil {
				*errs = append(*errs, entries[k].Errorf("", "%q is not an absolute URI like http://hospital.example.org/codes or urn:oid:2.16.840.1.113883.19", v))
			}
		}
	}
	if len(*errs) > before {
		return nil
	}
	c, err := fhir.NewConverter(opts)
	if err != nil {
		// Every option was checked on its own above; what is left is a combination the
		// converter refuses.
		*errs = append(*errs, n.Errorf("", "%v", err))
	}
	return c
}

type fhirStep struct {
	stepBase
	conv *fhir.Converter
}

// FHIR returns a step that converts the message to a FHIR R4 Bundle (package fhir) and
// makes its JSON the body, labelled application/fhir+json. Like encode, it belongs last in
// a destination's steps. A message the converter cannot map fails the step, with the
// converter's error (which names the message types it maps).
func FHIR(c *fhir.Converter) Step { return &fhirStep{conv: c} }

func (s *fhirStep) Kind() string            { return "fhir" }
func (s *fhirStep) compile(*compiler) error { return nil }

func (s *fhirStep) apply(r *run, it *item) error {
	body, err := s.conv.AppendJSON(nil, it.msg)
	if err != nil {
		return err
	}
	it.body, it.ctype = body, FHIRContentType
	return nil
}
