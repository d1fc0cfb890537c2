// Package all registers every connector Courier ships in the default connector registry.
// Import it for its side effects: import _ "github.com/courier-hl7/courier/internal/connector/all".
package all

import (
	_ "github.com/courier-hl7/courier/internal/connector/channel" // channel destination
	_ "github.com/courier-hl7/courier/internal/connector/file"    // file source and destination
	_ "github.com/courier-hl7/courier/internal/connector/mllp"    // MLLP source and destination
)
