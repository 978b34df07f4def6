package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// KeyType names an algorithm and size for a new private key.
type KeyType string

// The key types dockbake can generate.
const (
	ECDSAP256 KeyType = "ecdsa-p256"
	ECDSAP384 KeyType = "ecdsa-p384"
	RSA2048   KeyType = "rsa-2048"
	RSA4096   KeyType = "rsa-4096"
)

// DefaultKeyType is small, fast and accepted by every docker client and daemon
// in use today.
const DefaultKeyType = ECDSAP256

// KeyTypes lists the supported key types in the order help texts show them.
func KeyTypes() []KeyType { return []KeyType{ECDSAP256, ECDSAP384, RSA2048, RSA4096} }

// ParseKeyType checks a user-supplied key type name.
func ParseKeyType(s string) (KeyType, error) {
	for _, k := range KeyTypes() {
		if string(k) == s {
			return k, nil
		}
	}
	names := make([]string, 0, 4)
	for _, k := range KeyTypes() {
		names = append(names, string(k))
	}
	return "", &ValueError{Value: s, Msg: "unknown key type", Hint: "use one of " + strings.Join(names, ", ")}
}

// GenerateKey makes a new private key of type t from crypto/rand.
func GenerateKey(t KeyType) (crypto.Signer, error) {
	switch t {
	case ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSAP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case RSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	}
	_, err := ParseKeyType(string(t))
	return nil, err
}

// EncodeKey returns the key as a PKCS #8 "PRIVATE KEY" PEM block, which the
// docker CLI, dockerd and openssl all read whatever the algorithm.
func EncodeKey(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseKey reads a PEM private key in PKCS #8, PKCS #1 or SEC 1 form. Its
// errors never quote the input: it is secret.
func ParseKey(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found in private key file")
	}
	var (
		k   any
		err error
	)
	switch block.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("PEM block of type %q is not a private key", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", block.Type, err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key type %T", k)
	}
	return s, nil
}

// TypeOf reports the KeyType of an existing key, or "" for other kinds.
func TypeOf(k crypto.PublicKey) KeyType {
	switch k := k.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return ECDSAP256
		case elliptic.P384():
			return ECDSAP384
		}
	case *rsa.PublicKey:
		switch k.N.BitLen() {
		case 2048:
			return RSA2048
		case 4096:
			return RSA4096
		}
	}
	return ""
}
