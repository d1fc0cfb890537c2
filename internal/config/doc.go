// Package config loads Courier's configuration file, courier.yaml, from specs.
//
// Everything configurable — the file as a whole, each connector, each transform step — is
// described by a [Spec]: its fields, their types, defaults, bounds and documentation. The same
// specs drive four things, so that they cannot disagree:
//
//   - [Decode] and [Load]: strict decoding. Unknown keys, wrong types, missing required keys,
//     values outside an enum or a range, duplicate keys, unset environment variables and
//     unknown plug-in types are all collected and returned together as [Errors], each with
//     file:line:col and the path of the value (channels[1].source.listen).
//   - courier lint, which is Load without starting anything.
//   - [JSONSchema], for editors and CI (courier schema).
//   - [MarkdownDoc], which generates docs/config.md and docs/connectors/*.md.
//
// Connectors and steps are plug-ins: a field of type [Plugin] holds an object whose `type` key
// selects a Spec registered in a [Registry] under a category ("source", "destination",
// "step"), and the other keys are decoded against that spec.
//
// The YAML is parsed to github.com/goccy/go-yaml's syntax tree rather than decoded into Go
// structs, so that every value keeps its position and every problem can be reported at once.
// The result is a tree of [Node] values read with accessors in the style of Benthos'
// ParsedConfig: node.String("listen"), node.Duration("timeout"), node.List("destinations").
//
// Keys starting with x- are ignored in every object, as in Docker Compose, so that a file can
// hold anchors for reuse (x-retry: &retry {...}, then retry: *retry).
//
// Scalar values may use interpolation before they are converted to their type:
//
//	${NAME}            the environment variable NAME; an error if it is not set
//	${NAME:-default}   NAME, or default if NAME is unset or empty
//	${env:NAME}        the same as ${NAME} (also ${env:NAME:-default})
//	${file:PATH}       the contents of the file PATH without its final newline, for secrets
//	                   (Docker and Kubernetes secrets); a relative PATH is relative to the
//	                   directory of the configuration file
//	$${                a literal ${
//
// Fields marked Secret, and every value read with ${file:...}, are shown as *** by
// [Node.Redacted], when a Node is logged with log/slog or printed with fmt, and are never
// quoted in error messages.
package config
