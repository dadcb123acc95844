package directory

import "strings"

// initialDomainSuffix ends every tenant's initial domain (Microsoft Learn, "Add your custom domain name":
// a tenant is created with an initial domain <name>.onmicrosoft.com, which cannot be removed).
const initialDomainSuffix = ".onmicrosoft.com"

// InitialDomain returns the tenant's initial domain: the first verified domain ending in
// .onmicrosoft.com when one is configured (a seed names its tenant's initial domain that way), else
// <first label of the first verified domain>.onmicrosoft.com, else emulator.onmicrosoft.com.
func (d *Directory) InitialDomain() string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return initialDomainOf(d.verifiedDomains)
}

func initialDomainOf(verified []string) string {
	for _, v := range verified {
		if strings.HasSuffix(strings.ToLower(v), initialDomainSuffix) {
			return v
		}
	}
	if len(verified) > 0 {
		if label, _, _ := strings.Cut(verified[0], "."); label != "" {
			return strings.ToLower(label) + initialDomainSuffix
		}
	}
	return "emulator" + initialDomainSuffix
}

// withInitialDomain returns the verified domains with the initial domain appended when they lack it:
// the initial domain is verified in every tenant.
func withInitialDomain(verified []string) []string {
	out := append([]string{}, verified...)
	initial := initialDomainOf(verified)
	if !ContainsFold(out, initial) {
		out = append(out, initial)
	}
	return out
}
