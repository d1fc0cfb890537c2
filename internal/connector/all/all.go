// Package all registers every connector and transform step Courier ships in the default
// registry.
// Import it for its side effects: import _ "github.com/courier-hl7/courier/internal/connector/all".
package all

import (
	"github.com/courier-hl7/courier/internal/connector"
	_ "github.com/courier-hl7/courier/internal/connector/channel" // channel destination
	_ "github.com/courier-hl7/courier/internal/connector/fhir"    // FHIR destination
	_ "github.com/courier-hl7/courier/internal/connector/file"    // file source and destination
	_ "github.com/courier-hl7/courier/internal/connector/mllp"    // MLLP source and destination
	"github.com/courier-hl7/courier/internal/transform"
)

func init() {
	// Transform steps are plug-ins of their own category in the same registry.
	if err := transform.Register(connector.Global().Specs()); err != nil {
		panic(err)
	}
}
