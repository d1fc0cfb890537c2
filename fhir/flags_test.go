package fhir

import "flag"

// update rewrites golden files, the generated vocabulary tables and docs/fhir.md.
var update = flag.Bool("update", false, "rewrite golden files, vocab_tables.go and ../docs/fhir.md")
