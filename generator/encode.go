package generator

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
)

// Encoding is how user-data bytes are packed for delivery: gzip first,
// then base64.
type Encoding struct {
	// Gzip compresses. cloud-init detects gzip by its magic bytes and
	// unpacks it; PEM and key material shrink only to 55-70 %.
	Gzip bool
	// Base64 encodes, without line breaks or a final newline (some
	// decoders, such as Hetzner's, refuse both). cloud-init does not decode
	// it by itself: only where the provider's API or agent does.
	Base64 bool
}

// Encode packs data. The gzip header carries no name and no time, so the
// same data packs to the same bytes.
func Encode(data []byte, enc Encoding) ([]byte, error) {
	if enc.Gzip {
		var b bytes.Buffer
		zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
		if err != nil {
			return nil, err
		}
		if _, err := zw.Write(data); err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		data = b.Bytes()
	}
	if enc.Base64 {
		data = []byte(base64.StdEncoding.EncodeToString(data))
	}
	return data, nil
}
