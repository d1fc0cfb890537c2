// Command dictgen writes the data files of package dict from the npm package hl7-dictionary.
//
//	go run ./internal/gen/dictgen [-tarball hl7-dictionary-1.0.1.tgz] [-out data]
//
// Without -tarball it runs `npm pack` for the pinned version in a temporary directory. Either
// way the tarball must match the pinned integrity. go generate ./hl7/dict runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/courier-hl7/courier/hl7/dict/internal/gen"
)

func main() {
	tarball := flag.String("tarball", "", "path of the "+gen.Package+"-"+gen.Version+".tgz tarball; empty runs npm pack")
	out := flag.String("out", "data", "directory to write the data files into")
	flag.Parse()
	if err := run(*tarball, *out); err != nil {
		fmt.Fprintln(os.Stderr, "dictgen:", err)
		os.Exit(1)
	}
}

func run(tarball, out string) error {
	if tarball == "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		dir, err := os.MkdirTemp("", "dictgen")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if tarball, err = gen.Fetch(ctx, dir); err != nil {
			return fmt.Errorf("%w (or pass -tarball with a downloaded copy)", err)
		}
	}
	tgz, err := os.ReadFile(tarball)
	if err != nil {
		return err
	}
	files, err := gen.Build(tgz)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := gen.Write(out, files); err != nil {
		return err
	}
	for _, f := range files {
		fmt.Printf("%s\t%d bytes\n", f.Name, len(f.Data))
	}
	return nil
}
