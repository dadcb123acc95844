package auth

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1" //nolint:gosec // PBKDF2's default PRF in PKCS#5; needed to read such keys, not to protect anything new
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// loadCertificate reads the certificate from the inline setting or the path, decrypts it with the password
// and returns the certificate chain and private key. Errors name the setting at fault and never contain the
// certificate, the key or the password.
func loadCertificate(names certificateSettings, inline, path, password string) ([]*x509.Certificate, crypto.PrivateKey, error) {
	source := names.inline
	var data []byte
	if path != "" {
		source = names.path
		raw, err := os.ReadFile(path) // #nosec G304 -- the path is the user's own setting
		if err != nil {
			return nil, nil, configErr(source, err, "reading the certificate file named by %s", source)
		}
		data = raw
	} else {
		decoded, err := decodeInlineCertificate(inline)
		if err != nil {
			return nil, nil, configErr(source, nil, "%s %s", source, err.Error())
		}
		data = decoded
	}
	return parseCertificate(source, names.password, data, password)
}

// certificateSettings names the settings of a certificate, for error messages: the provider's
// (client_certificate with ARM_* variables) or an agent's (attributes only).
type certificateSettings struct {
	inline, path, password setting
}

var providerCertificateSettings = certificateSettings{setClientCertificate, setClientCertificatePath, setClientCertificatePassword}

// decodeInlineCertificate accepts PEM text, or base64 (standard alphabet, line breaks allowed) of either a
// PKCS#12 archive or PEM text.
func decodeInlineCertificate(inline string) ([]byte, error) {
	if strings.Contains(inline, "-----BEGIN") {
		return []byte(inline), nil
	}
	compact := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, inline)
	decoded, err := base64.StdEncoding.DecodeString(compact)
	if err != nil {
		if decoded, err = base64.RawStdEncoding.DecodeString(compact); err != nil {
			return nil, errors.New("is neither PEM text nor base64; give the base64 of a PKCS#12 (.pfx) archive or of PEM text")
		}
	}
	return decoded, nil
}

// parseCertificate parses PEM (with an optionally encrypted PKCS#8 key) or PKCS#12 data.
func parseCertificate(source, passwordSet setting, data []byte, password string) ([]*x509.Certificate, crypto.PrivateKey, error) {
	if bytes.Contains(data, []byte("-----BEGIN")) {
		plain, err := decryptPEMKeys(passwordSet, data, password)
		if err != nil {
			var cfgErr *ConfigError
			if errors.As(err, &cfgErr) {
				return nil, nil, cfgErr
			}
			return nil, nil, configErr(source, nil, "%s: %s", source, err.Error())
		}
		certs, key, err := azidentity.ParseCertificates(plain, nil)
		if err != nil {
			return nil, nil, configErr(source, nil, "%s holds PEM data that is not a certificate with its private key: %s", source, err.Error())
		}
		return certs, key, nil
	}
	certs, key, err := azidentity.ParseCertificates(data, []byte(password))
	if err != nil {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "password incorrect"):
			if password == "" {
				return nil, nil, configErr(passwordSet, nil,
					"the PKCS#12 archive in %s is protected by a password; set %s", source, passwordSet)
			}
			return nil, nil, configErr(passwordSet, nil,
				"%s does not decrypt the PKCS#12 archive in %s", passwordSet, source)
		case strings.Contains(msg, "unknown") || strings.Contains(msg, "not supported"):
			return nil, nil, configErr(source, nil,
				"the PKCS#12 archive in %s uses an algorithm this provider cannot read (%s); OpenSSL 3 encrypts with AES by "+
					"default, so re-export it with `openssl pkcs12 -export -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1`, "+
					"or give PEM with a PKCS#8 key instead", source, msg)
		default:
			return nil, nil, configErr(source, nil,
				"%s is neither a PKCS#12 (.pfx) archive nor PEM holding a certificate and its private key: %s", source, msg)
		}
	}
	return certs, key, nil
}

// decryptPEMKeys returns the PEM data with every "ENCRYPTED PRIVATE KEY" block (PKCS#8 with PBES2, as
// written by `openssl pkcs8 -topk8 -v2 aes-256-cbc` and OpenSSL 3's defaults) replaced by its decrypted
// "PRIVATE KEY" block. Legacy OpenSSL encryption (Proc-Type: 4,ENCRYPTED) is refused with a hint, because
// it is insecure and the standard library no longer supports it.
func decryptPEMKeys(passwordSet setting, data []byte, password string) ([]byte, error) {
	var out bytes.Buffer
	rest := data
	for {
		block, next := pem.Decode(rest)
		if block == nil {
			break
		}
		rest = next
		switch {
		case block.Headers["Proc-Type"] != "":
			return nil, errors.New("the private key uses legacy OpenSSL PEM encryption, which is not supported; " +
				"convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`")
		case block.Type == "ENCRYPTED PRIVATE KEY":
			if password == "" {
				return nil, configErr(passwordSet, nil,
					"the private key of the client certificate is encrypted; set %s", passwordSet)
			}
			der, err := decryptPKCS8(block.Bytes, password)
			if err != nil {
				if errors.Is(err, errWrongPassword) {
					return nil, configErr(passwordSet, nil,
						"%s does not decrypt the private key of the client certificate", passwordSet)
				}
				return nil, err
			}
			block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
		}
		if err := pem.Encode(&out, block); err != nil {
			return nil, fmt.Errorf("re-encoding PEM block: %w", err)
		}
	}
	if out.Len() == 0 {
		return nil, errors.New("contains no PEM block")
	}
	return out.Bytes(), nil
}

var errWrongPassword = errors.New("wrong password")

var (
	oidPBES2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidHMACSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
)

// encryptedPrivateKeyInfo is RFC 5208 section 6.
type encryptedPrivateKeyInfo struct {
	Algorithm     pkix.AlgorithmIdentifier
	EncryptedData []byte
}

// pbes2Params is RFC 8018 appendix A.4.
type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

// pbkdf2Params is RFC 8018 appendix A.2.
type pbkdf2Params struct {
	Salt           []byte
	IterationCount int
	KeyLength      int                      `asn1:"optional"`
	PRF            pkix.AlgorithmIdentifier `asn1:"optional"`
}

// decryptPKCS8 decrypts a PBES2 (PBKDF2 + AES-CBC) EncryptedPrivateKeyInfo and returns the PKCS#8 DER.
func decryptPKCS8(der []byte, password string) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) > 0 {
		return nil, errors.New("the encrypted private key is not valid PKCS#8")
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("the private key is encrypted with %v; only PBES2 (PBKDF2 with AES-CBC) is supported, "+
			"convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`", info.Algorithm.Algorithm)
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil {
		return nil, errors.New("the PBES2 parameters of the encrypted private key are malformed")
	}
	if !params.KeyDerivationFunc.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("the private key uses key derivation %v; only PBKDF2 is supported", params.KeyDerivationFunc.Algorithm)
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KeyDerivationFunc.Parameters.FullBytes, &kdf); err != nil {
		return nil, errors.New("the PBKDF2 parameters of the encrypted private key are malformed")
	}
	var prf func() hash.Hash
	switch alg := kdf.PRF.Algorithm; {
	case len(alg) == 0 || alg.Equal(oidHMACSHA1):
		prf = sha1.New
	case alg.Equal(oidHMACSHA256):
		prf = sha256.New
	case alg.Equal(oidHMACSHA384):
		prf = sha512.New384
	case alg.Equal(oidHMACSHA512):
		prf = sha512.New
	default:
		return nil, fmt.Errorf("the private key uses PBKDF2 with PRF %v, which is not supported", alg)
	}
	var keyLen int
	switch alg := params.EncryptionScheme.Algorithm; {
	case alg.Equal(oidAES128CBC):
		keyLen = 16
	case alg.Equal(oidAES192CBC):
		keyLen = 24
	case alg.Equal(oidAES256CBC):
		keyLen = 32
	default:
		return nil, fmt.Errorf("the private key is encrypted with %v; only AES-CBC is supported, "+
			"convert it with `openssl pkcs8 -topk8 -v2 aes-256-cbc`", alg)
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.EncryptionScheme.Parameters.FullBytes, &iv); err != nil || len(iv) != aes.BlockSize {
		return nil, errors.New("the AES-CBC parameters of the encrypted private key are malformed")
	}
	if kdf.IterationCount <= 0 || kdf.IterationCount > 10_000_000 {
		return nil, fmt.Errorf("the PBKDF2 iteration count %d of the encrypted private key is out of range", kdf.IterationCount)
	}
	key, err := pbkdf2.Key(prf, password, kdf.Salt, kdf.IterationCount, keyLen)
	if err != nil {
		return nil, fmt.Errorf("deriving the key of the encrypted private key: %w", err)
	}
	ct := info.EncryptedData
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, errors.New("the encrypted private key has an invalid length")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("preparing AES: %w", err)
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ct)
	// A wrong password shows as bad padding or as garbage that is not PKCS#8.
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > aes.BlockSize || pad > len(plain) {
		return nil, errWrongPassword
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, errWrongPassword
		}
	}
	plain = plain[:len(plain)-pad]
	if _, err := x509.ParsePKCS8PrivateKey(plain); err != nil {
		return nil, errWrongPassword
	}
	return plain, nil
}
