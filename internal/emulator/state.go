package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/lkpsapi"
)

// stateFormatVersion is the version of the state file format; a file of another version is refused.
const stateFormatVersion = 1

// State is the emulator's complete mutable state: the directory and LKPS (access lists, registrations,
// audit log). It is what the admin API dumps and what the state file holds.
type State struct {
	// Version is the state format version.
	Version int `json:"version"`
	// SavedAt is when the state was taken.
	SavedAt time.Time `json:"savedAt"`
	// Directory is the tenant's directory.
	Directory directory.Snapshot `json:"directory"`
	// AccessLists are the Client Access Lists per route key ("nonprod/eu").
	AccessLists map[string][]string `json:"ocelotAccessLists"`
	// Registrations are the LKPS registrations per route key.
	Registrations map[string][]Registration `json:"registrations"`
	// Audit is LKPS's audit log, oldest first.
	Audit []AuditRecord `json:"audit"`
}

// Registration is an LKPS registration row.
type Registration struct {
	AgentAppID         string    `json:"agentAppId"`
	EnforceClientAuthz bool      `json:"enforceClientAuthz"`
	RegisteredAt       time.Time `json:"registeredAt"`
	UpdatedAt          time.Time `json:"updatedAt"`
}

// AuditRecord is one LKPS audit log entry.
type AuditRecord struct {
	Time     time.Time `json:"time"`
	Route    string    `json:"route"`
	Method   string    `json:"method"`
	Path     string    `json:"path"`
	ClientID string    `json:"clientId"`
	Status   int       `json:"status"`
	Detail   string    `json:"detail,omitempty"`
}

func stateFromLKPS(st lkpsapi.State) (map[string][]string, map[string][]Registration, []AuditRecord) {
	lists := map[string][]string{}
	for k, v := range st.AccessLists {
		lists[k] = append([]string{}, v...)
	}
	regs := map[string][]Registration{}
	for k, rows := range st.Registrations {
		for _, r := range rows {
			regs[k] = append(regs[k], Registration(r))
		}
	}
	audit := make([]AuditRecord, 0, len(st.Audit))
	for _, a := range st.Audit {
		audit = append(audit, AuditRecord(a))
	}
	return lists, regs, audit
}

func (s State) lkps() lkpsapi.State {
	out := lkpsapi.State{AccessLists: map[string][]string{}, Registrations: map[string][]lkpsapi.Registration{}}
	for k, v := range s.AccessLists {
		out.AccessLists[k] = append([]string{}, v...)
	}
	for k, rows := range s.Registrations {
		for _, r := range rows {
			out.Registrations[k] = append(out.Registrations[k], lkpsapi.Registration(r))
		}
	}
	for _, a := range s.Audit {
		out.Audit = append(out.Audit, lkpsapi.AuditRecord(a))
	}
	return out
}

// ErrCorruptState is wrapped by LoadState when the state file exists but cannot be used.
var ErrCorruptState = errors.New("corrupt emulator state file")

// LoadState reads a state file. ok is false when the file does not exist; any other problem (unreadable,
// not JSON, wrong version, invalid content) is an error wrapping ErrCorruptState that names the file, so
// a damaged file is never silently replaced by the seed.
func LoadState(path string) (state State, ok bool, err error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return State{}, false, nil
	}
	if err != nil {
		return State{}, false, fmt.Errorf("read state file %s: %w", path, err)
	}
	if err := decodeStrict(bytes.NewReader(raw), &state); err != nil {
		return State{}, false, fmt.Errorf("%w %s: %w (move it away to start from the seed)", ErrCorruptState, path, err)
	}
	if state.Version != stateFormatVersion {
		return State{}, false, fmt.Errorf("%w %s: format version %d, this emulator reads version %d", ErrCorruptState, path, state.Version, stateFormatVersion)
	}
	if err := directory.New(directory.Config{TenantID: state.Directory.TenantID}).Restore(state.Directory); err != nil {
		return State{}, false, fmt.Errorf("%w %s: %w", ErrCorruptState, path, err)
	}
	return state, true, nil
}

// decodeStrict decodes one JSON value from r into dst, refusing unknown fields: the seed, the state file
// and the admin API's bodies.
func decodeStrict(r io.Reader, dst any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}

// SaveState writes the state to path atomically: a temporary file in the same directory is written,
// synced and renamed over path, so a crash leaves either the old or the new file, never a partial one.
func SaveState(path string, state State) error {
	raw, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		return fmt.Errorf("encode emulator state: %w", err)
	}
	return writeFileAtomic(path, append(raw, '\n'), 0o600)
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	cleanup := func() { _ = os.Remove(name) }
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		cleanup()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		_ = tmp.Close()
		cleanup()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		cleanup()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		cleanup()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		cleanup()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// initialState returns the state file's content when configured and present, else the seed's state.
func (s *Server) initialState() (State, bool, error) {
	if s.cfg.StateFile != "" {
		st, ok, err := LoadState(s.cfg.StateFile)
		if err != nil {
			return State{}, false, fmt.Errorf("emulator: %w", err)
		}
		if ok {
			return st, true, nil
		}
	}
	st, err := s.seedState()
	return st, false, err
}

func (s *Server) seedState() (State, error) {
	now := s.cfg.Now()
	snap, err := s.seed.snapshot(now)
	if err != nil {
		return State{}, fmt.Errorf("emulator: seed: %w", err)
	}
	lists, regs, audit := stateFromLKPS(s.seed.lkpsState(now))
	return State{Version: stateFormatVersion, SavedAt: now, Directory: snap, AccessLists: lists, Registrations: regs, Audit: audit}, nil
}

// SaveState writes the state file now. It fails when no state file is configured.
func (s *Server) SaveState() error {
	if s.cfg.StateFile == "" {
		return errors.New("emulator: no state file configured")
	}
	return SaveState(s.cfg.StateFile, s.admin.State())
}

func (s *Server) saveLoop() {
	defer close(s.saverDone)
	t := time.NewTicker(s.cfg.StateSaveInterval)
	defer t.Stop()
	var last []byte
	for {
		select {
		case <-s.stopSaver:
			return
		case <-t.C:
			st := s.admin.State()
			st.SavedAt = time.Time{}
			raw, err := json.Marshal(st)
			if err != nil || string(raw) == string(last) {
				continue
			}
			if err := s.SaveState(); err != nil {
				s.logger.Error("saving state file failed", "error", err)
				continue
			}
			last = raw
		}
	}
}
