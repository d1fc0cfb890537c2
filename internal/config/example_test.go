package config_test

import (
	"fmt"
	"time"

	"github.com/courier-hl7/courier/internal/config"
)

// Example shows the whole cycle: a connector registers its spec, the engine declares the root
// spec, Decode checks the file against both, and constructors read the result.
func Example() {
	reg := config.NewRegistry()
	err := reg.Register("source", config.Spec{
		Name:    "mllp",
		Summary: "Receives HL7 v2 over MLLP/TCP.",
		Fields: []config.Field{
			{Name: "listen", Type: config.String, Default: ":2575", Description: "Address to listen on."},
			{Name: "read_timeout", Type: config.Duration, Default: time.Minute, Description: "Idle connections are closed after this."},
		},
	})
	if err != nil {
		panic(err)
	}
	root := config.Spec{Name: "courier.yaml", Fields: []config.Field{
		{Name: "channels", Type: config.List, Elem: &config.Field{Type: config.Object, Fields: []config.Field{
			{Name: "name", Type: config.String, Required: true},
			{Name: "source", Type: config.Plugin, Category: "source", Required: true},
		}}},
	}}
	env := func(name string) (string, bool) {
		return map[string]string{"ADT_PORT": "2575"}[name], name == "ADT_PORT"
	}

	good := `
channels:
  - name: adt
    source: {type: mllp, listen: ":${ADT_PORT}", read_timeout: 5m}
`
	n, err := config.Decode("courier.yaml", []byte(good), root, reg, env)
	if err != nil {
		panic(err)
	}
	for _, ch := range n.List("channels") {
		src := ch.Object("source")
		fmt.Println(ch.String("name"), src.Kind(), src.String("listen"), src.Duration("read_timeout"))
	}

	bad := `
channels:
  - name: adt
    source: {type: mlp}
  - source: {type: mllp, listen: 2575, read_timout: 5m}
`
	_, err = config.Decode("courier.yaml", []byte(bad), root, reg, env)
	fmt.Println(err)
	// Output:
	// adt mllp :2575 5m0s
	// courier.yaml:4:20: channels[0].source.type: unknown source type `mlp` (did you mean `mllp`? known types: `mllp`)
	// courier.yaml:5:5: channels[1]: missing required key `name`
	// courier.yaml:5:40: channels[1].source.read_timout: unknown key `read_timout` (did you mean `read_timeout`?)
}

// ExampleNode_Errorf shows a check a spec cannot express, reported like the decoder's own.
func ExampleNode_Errorf() {
	root := config.Spec{Name: "courier.yaml", Fields: []config.Field{
		{Name: "channels", Type: config.List, Elem: &config.Field{Type: config.Object, Fields: []config.Field{
			{Name: "name", Type: config.String, Required: true},
		}}},
	}}
	n, err := config.Decode("courier.yaml", []byte("channels:\n  - name: adt\n  - name: adt\n"), root, nil, nil)
	if err != nil {
		panic(err)
	}
	var errs config.Errors
	seen := map[string]bool{}
	for _, ch := range n.List("channels") {
		if name := ch.String("name"); seen[name] {
			errs = append(errs, ch.Errorf("name", "channel %q is defined twice", name))
		}
		seen[ch.String("name")] = true
	}
	fmt.Println(errs.Err())
	// Output:
	// courier.yaml:3:11: channels[1].name: channel "adt" is defined twice
}
