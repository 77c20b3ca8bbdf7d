// argocd-health runs Argo CD resource health scripts in Argo CD itself: its util/lua VM (the code the application
// controller runs for resource.customizations.health.<group>_<Kind> from argocd-cm, with useOpenLibs off), at the
// Argo CD release pinned in scripts/versions.env.
//
// stdin: {"cases": [{"script": "<path>", "obj": {...}}]} or {"probe": "<Lua statements ending in return x>"}.
// stdout: a JSON array of {"status", "message"} or {"error"} per case; for a probe, {"result"} (tostring of what
// the statements returned, run as a health script's body) or {"error"}.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/argoproj/argo-cd/v3/util/lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

type request struct {
	Cases []struct {
		Script string          `json:"script"`
		Obj    json.RawMessage `json:"obj"`
	} `json:"cases"`
	Probe *string `json:"probe"`
}

type outcome struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	Error   string `json:"error,omitempty"`
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fail("stdin is not a request: %v", err)
	}
	var out any
	if req.Probe != nil {
		out = probe(*req.Probe)
	} else {
		results := make([]outcome, 0, len(req.Cases))
		for _, c := range req.Cases {
			script, err := os.ReadFile(c.Script)
			if err != nil {
				fail("%v", err)
			}
			results = append(results, health(string(script), c.Obj))
		}
		out = results
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("%v", err)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "argocd-health: "+format+"\n", args...)
	os.Exit(2)
}

// health decodes the resource as the controller's cache holds it (unstructured JSON) and asks Argo CD's VM.
func health(script string, rawObj json.RawMessage) outcome {
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(rawObj); err != nil {
		return outcome{Error: err.Error()}
	}
	hs, err := lua.VM{}.ExecuteHealthLua(u, script)
	if err != nil {
		return outcome{Error: strings.TrimSpace(err.Error())}
	}
	return outcome{Status: string(hs.Status), Message: hs.Message}
}

// probe runs Lua statements as the body of a health script and reports what they returned.
func probe(source string) map[string]string {
	script := "local function probe()\n" + source + "\nend\nreturn { status = \"Healthy\", message = tostring(probe()) }"
	obj := json.RawMessage(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"probe","generation":1}}`)
	o := health(script, obj)
	if o.Error != "" {
		return map[string]string{"error": o.Error}
	}
	return map[string]string{"result": o.Message}
}
