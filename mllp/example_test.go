package mllp_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net"
	"strings"
	"time"

	"github.com/courier-hl7/courier/mllp"
)

// ack builds a minimal acknowledgement from the bytes of msg. A real receiver builds it with
// the hl7 package; mllp itself never parses messages.
func ack(msg []byte) []byte {
	fields := strings.Split(strings.SplitN(string(msg), "\r", 2)[0], "|")
	return []byte("MSH|^~\\&|RCV|FAC|SND|FAC|20240101120000||ACK^A01^ACK|ACK-" + fields[9] + "|P|2.5\rMSA|AA|" + fields[9] + "\r")
}

func ExampleServer() {
	s := &mllp.Server{
		Handler: mllp.HandlerFunc(func(ctx context.Context, req *mllp.Request) ([]byte, error) {
			// Store req.Frame durably here, then acknowledge.
			return ack(req.Frame), nil
		}),
		ReadTimeout:   30 * time.Second,
		MaxConnsPerIP: 10,
	}
	l, err := net.Listen("tcp", "127.0.0.1:0") // ":2575" in production, or use ListenAndServe
	if err != nil {
		log.Fatal(err)
	}
	go s.Serve(l)

	// A sender speaking raw MLLP.
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	msg := []byte("MSH|^~\\&|ADT1|GHH|LAB|GHH|20240101120000||ADT^A01|MSG00001|P|2.5\rPID|1||PATID1234\r")
	mllp.NewWriter(c, mllp.Framing{}).WriteFrame(msg)
	resp, err := mllp.NewReader(c, mllp.ReaderOptions{}).ReadFrame()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", bytes.Split(resp, []byte("\r"))[1])

	// Stop accepting, finish what is in flight, then close.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fmt.Println(s.Shutdown(ctx))
	// Output:
	// "MSA|AA|MSG00001"
	// <nil>
}

func ExampleClient() {
	s := &mllp.Server{Handler: mllp.HandlerFunc(func(ctx context.Context, req *mllp.Request) ([]byte, error) {
		return ack(req.Frame), nil
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go s.Serve(l)
	defer s.Close()

	c := &mllp.Client{
		Addr:       l.Addr().String(),
		ACKTimeout: 30 * time.Second,
		Backoff:    mllp.Backoff{Min: 100 * time.Millisecond, Max: 30 * time.Second},
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.Send(ctx, []byte("MSH|^~\\&|ADT1|GHH|LAB|GHH|20240101120000||ADT^A01|MSG00002|P|2.5\rPID|1||PATID1234\r"))
	if err != nil {
		log.Fatal(err) // no usable answer: resend later
	}
	fmt.Println(resp.Code, resp.ControlID, resp.Accepted())
	// Output: AA MSG00002 true
}

func ExampleReader() {
	// Two pipelined frames, a log banner before them and a line feed after the first.
	stream := "LIS ready\r\n\x0bMSH|^~\\&|A\r\x1c\r\n\x0bMSH|^~\\&|B\r\x1c\r"
	rd := mllp.NewReader(strings.NewReader(stream), mllp.ReaderOptions{MaxFrameSize: 1 << 20})
	for {
		frame, err := rd.ReadFrame()
		if err != nil {
			fmt.Println(err, "- discarded", rd.Discarded(), "bytes")
			break
		}
		fmt.Printf("%q\n", frame)
	}
	// Output:
	// "MSH|^~\\&|A\r"
	// "MSH|^~\\&|B\r"
	// EOF - discarded 11 bytes
}

func ExampleServerTLS() {
	reloader, err := mllp.NewCertReloader("/etc/courier/tls/server.crt", "/etc/courier/tls/server.key")
	if err != nil {
		log.Fatal(err)
	}
	clientCAs, err := mllp.LoadCertPool("/etc/courier/tls/partners-ca.pem")
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := mllp.ServerTLS(mllp.ServerTLSOptions{
		Reloader:   reloader, // renewed certificates are picked up without a restart
		ClientAuth: mllp.RequireClientCert,
		ClientCAs:  clientCAs,
		Peers:      mllp.PeerPolicy{DNSNames: []string{"*.lab.hospital.example"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	s := &mllp.Server{
		Addr:      ":6661",
		TLSConfig: cfg,
		Handler: mllp.HandlerFunc(func(ctx context.Context, req *mllp.Request) ([]byte, error) {
			partner := req.Conn.TLS.PeerCertificates[0].Subject.CommonName
			log.Printf("message %d from %s", req.Seq, partner) // never log req.Frame: it holds patient data
			return ack(req.Frame), nil
		}),
	}
	log.Fatal(s.ListenAndServe())
}
