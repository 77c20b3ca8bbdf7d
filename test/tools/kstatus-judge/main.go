// kstatus-judge prints what kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status.Compute, the library behind
// kubectl-style waiting in Flux, Config Sync and cli-utils' applier) concludes for each object it is given.
//
// stdin: a JSON array of Kubernetes objects. stdout: a JSON array of {"status", "message"} or {"error"}, in order.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	Error   string `json:"error,omitempty"`
}

func main() {
	var objects []json.RawMessage
	if err := json.NewDecoder(os.Stdin).Decode(&objects); err != nil {
		fmt.Fprintln(os.Stderr, "kstatus-judge: stdin is not a JSON array of objects:", err)
		os.Exit(2)
	}
	out := make([]verdict, 0, len(objects))
	for _, raw := range objects {
		out = append(out, judge(raw))
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "kstatus-judge:", err)
		os.Exit(1)
	}
}

// judge decodes the object the way client-go does (unstructured JSON: integers as int64) and computes its status.
func judge(raw json.RawMessage) verdict {
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(raw); err != nil {
		return verdict{Error: err.Error()}
	}
	res, err := status.Compute(u)
	if err != nil {
		return verdict{Error: err.Error()}
	}
	return verdict{Status: res.Status.String(), Message: res.Message}
}
