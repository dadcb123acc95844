package auth

import (
	"encoding/base64"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// RunTimeCredential names where a client credential is read when it is needed, never the credential
// itself: a file, or an environment variable whose *name* is given. Terraform writes the configuration of
// an action (and every non-ephemeral value it is built from) into a saved plan file in clear text, and
// actions take neither ephemeral nor write-only values; a name or a path there gives nothing away.
type RunTimeCredential struct {
	// SecretFilePath names a file holding a client secret.
	SecretFilePath string
	// SecretEnvVar names an environment variable holding a client secret.
	SecretEnvVar string
	// CertificatePath names a PKCS#12 (.pfx) or PEM file with the certificate and its private key.
	CertificatePath string
	// CertificateEnvVar names an environment variable holding the certificate: PEM text, or base64 of a
	// PKCS#12 archive or of PEM text.
	CertificateEnvVar string
	// CertificatePasswordEnvVar names an environment variable holding the password of the certificate's
	// private key.
	CertificatePasswordEnvVar string
}

// Attribute names of RunTimeCredential's fields, as the lkps_session_start action spells them; the
// errors of Settings carry them in ConfigError.Attribute.
const (
	AttrSecretFilePath            = "client_secret_file_path"
	AttrSecretEnvVar              = "client_secret_env_var"
	AttrCertificatePath           = "client_certificate_path"
	AttrCertificateEnvVar         = "client_certificate_env_var"
	AttrCertificatePasswordEnvVar = "client_certificate_password_env_var"
)

// envVarName is what a portable environment variable name looks like (POSIX: letters, digits and
// underscores, not starting with a digit).
var envVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidEnvVarName reports whether name can name an environment variable; a value that does not is most
// likely the secret itself, given where its name belongs.
func ValidEnvVarName(name string) bool { return envVarName.MatchString(name) }

// Secret reports whether r names a client secret (a file or a variable); Certificate likewise.
func (r RunTimeCredential) Secret() bool { return r.SecretFilePath != "" || r.SecretEnvVar != "" }
func (r RunTimeCredential) Certificate() bool {
	return r.CertificatePath != "" || r.CertificateEnvVar != ""
}

// Settings reads the credential r names for application clientID, with lookup for environment variables
// (os.LookupEnv) and readFile for files (os.ReadFile). Errors are *ConfigError naming the attribute at
// fault and never contain a secret.
func (r RunTimeCredential) Settings(clientID string, lookup func(string) (string, bool), readFile func(string) ([]byte, error)) (AgentSettings, error) {
	s := AgentSettings{ClientID: clientID}
	fromEnv := func(attr, name, what string) (string, error) {
		if !ValidEnvVarName(name) {
			return "", &ConfigError{Attribute: attr, Message: fmt.Sprintf("%s takes the name of an environment variable that "+
				"holds %s, not the value itself: %d characters that are not a variable name (letters, digits and underscores). "+
				"Export the value in the environment of terraform and give its name here", attr, what, len(name))}
		}
		v, ok := lookup(name)
		if !ok {
			return "", &ConfigError{Attribute: attr, Message: fmt.Sprintf("%s names the environment variable %s, which is not "+
				"set in the environment of terraform; export it (in a pipeline, map the secret variable into the step's "+
				"environment) before running terraform", attr, name)}
		}
		if strings.TrimSpace(v) == "" {
			return "", &ConfigError{Attribute: attr, Message: fmt.Sprintf("%s names the environment variable %s, which is "+
				"empty; it must hold %s", attr, name, what)}
		}
		return v, nil
	}
	fromFile := func(attr, path string) ([]byte, error) {
		b, err := readFile(path)
		if err != nil {
			return nil, &ConfigError{Attribute: attr, Message: fmt.Sprintf("reading the file named by %s", attr), Err: err}
		}
		if strings.TrimSpace(string(b)) == "" {
			return nil, &ConfigError{Attribute: attr, Message: fmt.Sprintf("the file %s named by %s is empty", path, attr)}
		}
		return b, nil
	}
	var err error
	switch {
	case r.SecretEnvVar != "":
		s.ClientSecret, err = fromEnv(AttrSecretEnvVar, r.SecretEnvVar, "a client secret")
	case r.SecretFilePath != "":
		var b []byte
		b, err = fromFile(AttrSecretFilePath, r.SecretFilePath)
		s.ClientSecret = strings.TrimSpace(string(b))
	case r.CertificateEnvVar != "":
		s.ClientCertificate, err = fromEnv(AttrCertificateEnvVar, r.CertificateEnvVar, "a certificate with its private key (PEM, or base64 of PKCS#12 or PEM)")
	case r.CertificatePath != "":
		var b []byte
		b, err = fromFile(AttrCertificatePath, r.CertificatePath)
		if strings.Contains(string(b), "-----BEGIN") {
			s.ClientCertificate = string(b)
		} else {
			s.ClientCertificate = base64.StdEncoding.EncodeToString(b)
		}
	}
	if err != nil {
		return AgentSettings{}, err
	}
	if r.CertificatePasswordEnvVar != "" {
		if s.ClientCertificatePassword, err = fromEnv(AttrCertificatePasswordEnvVar, r.CertificatePasswordEnvVar, "the certificate's password"); err != nil {
			return AgentSettings{}, err
		}
	}
	return s, nil
}

// OSLookup and OSReadFile are the process's environment and file system, for Settings.
var (
	OSLookup   = os.LookupEnv
	OSReadFile = os.ReadFile
)
