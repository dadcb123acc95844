package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// configJSON is Config without its JSON methods, so that they can encode and decode the fields.
type configJSON Config

// durationsJSON are the two durations of Config as Go duration strings ("250ms"): they shadow the
// embedded configJSON's fields of the same JSON names.
type durationsJSON struct {
	configJSON
	Latency    string `json:"latency,omitempty"`
	ReplicaLag string `json:"replicaLag,omitempty"`
}

// MarshalJSON writes the configuration as the admin API shows it (`GET /_emulator/faults`): durations as
// Go duration strings, zero values left out.
func (c Config) MarshalJSON() ([]byte, error) {
	out := durationsJSON{configJSON: configJSON(c)}
	if c.Latency > 0 {
		out.Latency = c.Latency.String()
	}
	if c.ReplicaLag > 0 {
		out.ReplicaLag = c.ReplicaLag.String()
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads a configuration as the admin API takes it (`PUT /_emulator/faults`): durations as
// Go duration strings; an unknown field is an error.
func (c *Config) UnmarshalJSON(raw []byte) error {
	var in durationsJSON
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return err
	}
	out := Config(in.configJSON)
	for _, d := range []struct {
		name, text string
		dst        *time.Duration
	}{{"latency", in.Latency, &out.Latency}, {"replicaLag", in.ReplicaLag, &out.ReplicaLag}} {
		if d.text == "" {
			continue
		}
		v, err := time.ParseDuration(d.text)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		*d.dst = v
	}
	*c = out
	return nil
}
