package entra

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// DefaultServiceConnectionID is the ID of the service connection of the default "azure-devops" issuer.
const DefaultServiceConnectionID = "5e1d7c3a-9b2f-4d6e-8a1c-3f0b2d4e6a71"

// azureDevOpsTokenPath is the path, under /oidc/{name}/, of an Azure DevOps issuer's token request: the
// value a pipeline job finds in SYSTEM_OIDCREQUESTURI.
const azureDevOpsTokenPath = "oidctoken"

// ServiceConnection is an Azure DevOps service connection that federates with an Entra ID application:
// tokens requested for it carry the subject "sc://<organization>/<Project>/<Name>".
type ServiceConnection struct {
	// ID is the service connection's ID (a GUID), the serviceConnectionId of the token request.
	ID string
	// Project is the Azure DevOps project the service connection belongs to.
	Project string
	// Name is the service connection's name.
	Name string
}

var adoSegmentRE = regexp.MustCompile(`^[^/\s][^/]*$`)

// validateIssuerKind checks the kind-specific fields of cfg and sets the default kind.
func validateIssuerKind(cfg *OIDCIssuer) error {
	switch cfg.Kind {
	case "", IssuerKindGitHub:
		cfg.Kind = IssuerKindGitHub
		if cfg.Organization != "" || len(cfg.ServiceConnections) > 0 {
			return fmt.Errorf("OIDC issuer %q: organization and service connections are for kind %q", cfg.Name, IssuerKindAzureDevOps)
		}
		return nil
	case IssuerKindAzureDevOps:
	default:
		return fmt.Errorf("OIDC issuer %q: kind %q, want %q or %q", cfg.Name, cfg.Kind, IssuerKindGitHub, IssuerKindAzureDevOps)
	}
	if !adoSegmentRE.MatchString(cfg.Organization) {
		return fmt.Errorf("OIDC issuer %q: an Azure DevOps issuer needs an organization name without '/'", cfg.Name)
	}
	seen := map[string]bool{}
	for _, sc := range cfg.ServiceConnections {
		if !isGUIDLike(sc.ID) {
			return fmt.Errorf("OIDC issuer %q: service connection ID %q is not a GUID", cfg.Name, sc.ID)
		}
		if seen[strings.ToLower(sc.ID)] {
			return fmt.Errorf("OIDC issuer %q: service connection %s configured twice", cfg.Name, sc.ID)
		}
		seen[strings.ToLower(sc.ID)] = true
		if !adoSegmentRE.MatchString(sc.Project) || !adoSegmentRE.MatchString(sc.Name) {
			return fmt.Errorf("OIDC issuer %q: service connection %s needs a project and a name without '/'", cfg.Name, sc.ID)
		}
	}
	return nil
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isGUIDLike(s string) bool { return guidRE.MatchString(s) }

// Subject returns the "sub" of the service connection's tokens in organization org.
func (sc ServiceConnection) Subject(org string) string {
	return "sc://" + org + "/" + sc.Project + "/" + sc.Name
}

// AzureDevOpsOIDCRequestURI returns the token request URL of the named Azure DevOps issuer: the value
// for SYSTEM_OIDCREQUESTURI (clients append "?api-version=7.1&serviceConnectionId=<id>").
func (s *Service) AzureDevOpsOIDCRequestURI(name string) string {
	return s.OIDCIssuerURL(name) + "/" + azureDevOpsTokenPath
}

// serveAzureDevOpsToken is Azure DevOps' "Oidctoken - Create" request
// (https://learn.microsoft.com/rest/api/azure/devops/distributedtask/oidctoken/create):
// POST $(System.OidcRequestUri)?api-version=7.1&serviceConnectionId=<id> with the job's
// System.AccessToken as a Bearer token, answered with {"oidcToken": "<jwt>"} whose subject is
// sc://<organization>/<project>/<service connection name> and whose audience is
// api://AzureADTokenExchange, the audience of the federated credentials Azure DevOps creates
// (https://learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity).
//
// Refusals, as Azure DevOps answers them: a missing or wrong access token is a 401 when the request
// carries "X-TFS-FedAuthRedirect: Suppress" (azidentity's AzurePipelinesCredential sends it for that
// reason) and otherwise a 302 to the sign-in page; a request without api-version is a 400. Azure DevOps'
// documentation does not state the answer to an unknown service connection; the emulator answers 404
// with Azure DevOps' error body, which every client reports as a failed token request.
func (s *Service) serveAzureDevOpsToken(w http.ResponseWriter, r *http.Request, iss *oidcIssuer) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeVSSError(w, http.StatusMethodNotAllowed, "VssMethodNotAllowedException",
			"The requested resource does not support http method '"+r.Method+"'.")
		return
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(iss.cfg.RequestToken)) != 1 {
		if !strings.EqualFold(r.Header.Get("X-TFS-FedAuthRedirect"), "Suppress") {
			// Without the header, Azure DevOps sends an unauthenticated caller to its sign-in page.
			w.Header().Set("Location", s.OIDCIssuerURL(iss.cfg.Name)+"/_signin")
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusFound)
			_, _ = w.Write([]byte("<html><head><title>Object moved</title></head><body><h2>Object moved to here.</h2></body></html>\n"))
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri=`+s.OIDCIssuerURL(iss.cfg.Name))
		writeVSSError(w, http.StatusUnauthorized, "UnauthorizedRequestException",
			"The job's System.AccessToken (the request token of OIDC issuer '"+iss.cfg.Name+"') is required as a Bearer token.")
		return
	}
	q := r.URL.Query()
	if q.Get("api-version") == "" {
		writeVSSError(w, http.StatusBadRequest, "VssVersionNotSpecifiedException",
			`No api-version was supplied for the "POST" request. An api-version must be supplied, e.g. api-version=7.1.`)
		return
	}
	subject := ""
	if id := q.Get("serviceConnectionId"); id != "" {
		for _, sc := range iss.cfg.ServiceConnections {
			if strings.EqualFold(sc.ID, id) {
				subject = sc.Subject(iss.cfg.Organization)
			}
		}
		if subject == "" {
			writeVSSError(w, http.StatusNotFound, "ServiceEndpointNotFoundException",
				"Service connection "+id+" was not found in organization '"+iss.cfg.Organization+"' (OIDC issuer '"+iss.cfg.Name+"').")
			return
		}
	} else if iss.cfg.DefaultSubject == "" {
		// Azure DevOps then issues a token of the pipeline itself; the emulator has no pipeline to name.
		writeVSSError(w, http.StatusBadRequest, "ArgumentException",
			"serviceConnectionId is required: OIDC issuer '"+iss.cfg.Name+"' has no default subject for a pipeline token.")
		return
	}
	tok, err := s.mintFederated(iss, subject, "", 0)
	if err != nil {
		writeVSSError(w, http.StatusInternalServerError, "InternalServerError", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"oidcToken": tok})
}

// writeVSSError writes Azure DevOps' error body: {"$id","innerException","message","typeName",
// "typeKey","errorCode","eventId"}.
func writeVSSError(w http.ResponseWriter, status int, typeKey, message string) {
	writeJSON(w, status, map[string]any{
		"$id":            "1",
		"innerException": nil,
		"message":        message,
		"typeName":       "Microsoft.VisualStudio.Services.WebApi." + typeKey + ", Microsoft.VisualStudio.Services.WebApi",
		"typeKey":        typeKey,
		"errorCode":      0,
		"eventId":        3000,
	})
}
