#!/usr/bin/env python3
"""Runs the shell part of a GitHub Actions workflow or an Azure DevOps pipeline on this machine, in the
pipeline's own order, so that CI runs exactly the commands the pipeline guides publish (.ci/pipeline-recipes).

  pipeline-runner.py github <workflow.yml> --repo DIR --work DIR --event push --ref refs/heads/main \
      --context vars.NAME=VALUE --context secrets.NAME=VALUE --oidc JOB=ISSUER ...
  pipeline-runner.py azure-devops <azure-pipelines.yml> --repo DIR --work DIR --branch refs/heads/main \
      --var NAME=VALUE --secret NAME=VALUE --service-connection NAME=ISSUER --oidc-issuer ISSUER ...

Each job starts from a fresh copy of --repo (a fresh runner), runs its `run:`/`script:` steps with bash
and the pipeline's environment, and hands artifacts between jobs as the pipeline's artifact steps do.
The OIDC token a job gets comes from the emulator's test issuer ISSUER (its request URL and token are in
the environment as LKPS_EMULATOR_OIDC_<ISSUER>_REQUEST_URL/_TOKEN): GitHub's ACTIONS_ID_TOKEN_REQUEST_URL
and _TOKEN, or AzureCLI@2's idToken. In Azure DevOps every job also gets the predefined variables
System.OidcRequestUri (exported as SYSTEM_OIDCREQUESTURI) and System.AccessToken (secret: a step sees it
only when it maps it) of the emulator's Azure DevOps issuer (--oidc-issuer), whose token endpoint answers
for the service connections a task of the job names. Any step the runner does not know is an error:
nothing is skipped silently.
"""
import argparse
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import urllib.request

import yaml


def die(msg):
    print("pipeline-runner: " + msg, file=sys.stderr)
    sys.exit(1)


def issuer_env(issuer):
    key = "LKPS_EMULATOR_OIDC_" + issuer.upper().replace("-", "_")
    url, tok = os.environ.get(key + "_REQUEST_URL"), os.environ.get(key + "_REQUEST_TOKEN")
    if not url or not tok:
        die(f"the emulator has no OIDC issuer {issuer!r} ({key}_REQUEST_URL is not set)")
    return url, tok


def mint(issuer):
    url, tok = issuer_env(issuer)
    req = urllib.request.Request(url + "?audience=api://AzureADTokenExchange", headers={"Authorization": "Bearer " + tok})
    ctx = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    with urllib.request.urlopen(req, context=ctx) as r:
        return json.load(r)["value"]


def fresh_copy(repo, dest):
    if os.path.exists(dest):
        shutil.rmtree(dest)
    shutil.copytree(repo, dest, symlinks=True)


def run_bash(script, cwd, env, label):
    print(f"  $ {label}", flush=True)
    for line in script.strip().splitlines():
        print("    | " + line)
    p = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in p.stdout.splitlines():
        print("    > " + line)
    if p.returncode != 0:
        die(f"step {label!r} exited with {p.returncode}")
    return p.stdout


# ---- GitHub Actions -------------------------------------------------------------------------------

def github(args):
    wf = yaml.safe_load(open(args.file))
    ctx = {"github.event_name": args.event, "github.ref": args.ref}
    for kv in args.context:
        k, _, v = kv.partition("=")
        ctx[k] = v
    oidc = dict(kv.split("=", 1) for kv in args.oidc)
    artifacts = os.path.join(args.work, "artifacts")
    os.makedirs(artifacts, exist_ok=True)

    def expr_value(e, job_ctx):
        e = e.strip()
        if e in job_ctx:
            return job_ctx[e]
        if e in ctx:
            return ctx[e]
        die(f"unknown expression ${{{{ {e} }}}} (pass it with --context)")

    def subst(s, job_ctx):
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(expr_value(m.group(1), job_ctx)), str(s))

    def cond(c, job_ctx):
        if c is None:
            return True
        c = re.sub(r"^\$\{\{(.*)\}\}$", r"\1", str(c).strip())
        py = re.sub(r"[a-z_]+(\.[A-Za-z_]+)+", lambda m: repr(expr_value(m.group(0), job_ctx)), c)
        py = py.replace("&&", " and ").replace("||", " or ").replace("!", " not ").replace(" not =", "!=")
        return bool(eval(py, {"__builtins__": {}}))

    done = set()
    order = list(wf["jobs"].keys())
    wf_env = wf.get("env", {}) or {}
    defaults_wd = ((wf.get("defaults") or {}).get("run") or {}).get("working-directory")
    for name in order:
        job = wf["jobs"][name]
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        if any(n not in done for n in needs):
            die(f"job {name} needs {needs}, which did not all run")
        if not cond(job.get("if"), {}):
            print(f"job {name}: skipped (if: {job.get('if')})")
            continue
        ws = os.path.join(args.work, "runner-" + name, "work")
        temp = os.path.join(args.work, "runner-" + name, "temp")
        fresh_copy(args.repo, ws)
        os.makedirs(temp, exist_ok=True)
        job_ctx = {"github.workspace": ws, "runner.temp": temp}
        env = dict(os.environ)
        env.update({"GITHUB_WORKSPACE": ws, "RUNNER_TEMP": temp, "GITHUB_EVENT_NAME": args.event, "GITHUB_REF": args.ref, "CI": "true"})
        for k, v in wf_env.items():
            env[k] = subst(v, job_ctx)
        for k, v in (job.get("env") or {}).items():
            env[k] = subst(v, job_ctx)
        perms = job.get("permissions", wf.get("permissions", {})) or {}
        if perms.get("id-token") == "write":
            if name not in oidc:
                die(f"job {name} asks for an OIDC token: name the emulator issuer with --oidc {name}=<issuer>")
            env["ACTIONS_ID_TOKEN_REQUEST_URL"], env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = issuer_env(oidc[name])
        print(f"job {name} (fresh workspace; OIDC issuer {oidc.get(name)}):")
        for i, step in enumerate(job["steps"]):
            label = step.get("name") or step.get("uses") or step.get("run", "").splitlines()[0]
            if not cond(step.get("if"), job_ctx):
                print(f"  - {label}: skipped (if: {step.get('if')})")
                continue
            with_ = {k: subst(v, job_ctx) for k, v in (step.get("with") or {}).items()}
            uses = step.get("uses")
            if uses:
                action = uses.split("@")[0]
                if action == "actions/checkout":
                    print(f"  - {uses}: the workspace is a fresh copy of the repository")
                elif action == "hashicorp/setup-terraform":
                    out = subprocess.run(["terraform", "version", "-json"], env=env, capture_output=True, text=True, check=True)
                    have = json.loads(out.stdout)["terraform_version"]
                    if with_.get("terraform_version") not in (None, have):
                        die(f"{uses} pins terraform {with_.get('terraform_version')}, this machine has {have}")
                    if with_.get("terraform_wrapper") not in ("False", "false", False):
                        die(f"{uses}: set terraform_wrapper: false (the wrapper changes the output that scripts read)")
                    print(f"  - {uses}: terraform {have} is on PATH")
                elif action == "actions/upload-artifact":
                    dst = os.path.join(artifacts, with_["name"])
                    os.makedirs(dst, exist_ok=True)
                    src = os.path.join(ws, with_["path"])
                    if not os.path.isfile(src):
                        die(f"{uses}: {with_['path']} does not exist")
                    shutil.copy2(src, dst)
                    print(f"  - {uses}: artifact {with_['name']} <- {with_['path']}")
                elif action == "actions/download-artifact":
                    src = os.path.join(artifacts, with_["name"])
                    if not os.path.isdir(src):
                        die(f"{uses}: no artifact {with_['name']}")
                    dst = os.path.join(ws, with_.get("path", "."))
                    os.makedirs(dst, exist_ok=True)
                    for f in os.listdir(src):
                        shutil.copy2(os.path.join(src, f), dst)
                    print(f"  - {uses}: artifact {with_['name']} -> {with_.get('path', '.')}")
                else:
                    die(f"step {i} of job {name} uses {uses}, which this runner does not know")
                continue
            if "run" not in step:
                die(f"step {i} of job {name} has neither uses nor run")
            step_env = dict(env)
            for k, v in (step.get("env") or {}).items():
                step_env[k] = subst(v, job_ctx)
            genv = os.path.join(temp, f"github_env_{i}")
            open(genv, "w").close()
            step_env["GITHUB_ENV"] = genv
            wd = step.get("working-directory", defaults_wd)
            run_bash(subst(step["run"], job_ctx), os.path.join(ws, wd) if wd else ws, step_env, label)
            for line in open(genv).read().splitlines():
                if "=" in line:
                    k, _, v = line.partition("=")
                    env[k] = v
        done.add(name)


# ---- Azure DevOps ---------------------------------------------------------------------------------

def azure_devops(args):
    pl = yaml.safe_load(open(args.file))
    given = dict(kv.split("=", 1) for kv in args.var)
    connections = dict(kv.split("=", 1) for kv in args.service_connection)
    variables = {}
    for v in pl.get("variables", []):
        if "group" in v:
            continue  # a variable group's values come from --var
        variables[v["name"]] = str(v["value"])
    variables.update(given)
    artifacts = os.path.join(args.work, "artifacts")
    os.makedirs(artifacts, exist_ok=True)

    def macro(s, vs):
        return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_.]*)\)", lambda m: vs.get(m.group(1), m.group(0)), str(s))

    def cond(c, vs):
        if c is None:
            return True
        py = re.sub(r"variables\['([^']+)'\]", lambda m: repr(vs.get(m.group(1), "")), c)
        py = py.replace("and(", "and_(").replace("or(", "or_(")
        fns = {"and_": lambda *a: all(a), "or_": lambda *a: any(a), "eq": lambda a, b: str(a).lower() == str(b).lower(),
               "succeeded": lambda: True, "__builtins__": {}}
        return bool(eval(py, fns))

    def env_of(vs, secret_names):
        env = dict(os.environ)
        for k, v in vs.items():
            if k not in secret_names:
                env[k.upper().replace(".", "_")] = v
        return env

    secrets = dict(kv.split("=", 1) for kv in args.secret)
    if args.oidc_issuer:
        # Azure Pipelines' predefined variables: the job's OIDC request URI, and its access token (a secret).
        uri, tok = issuer_env(args.oidc_issuer)
        variables["System.OidcRequestUri"] = uri
        secrets["System.AccessToken"] = tok
    variables.update(secrets)  # usable as $(NAME), but never mapped to the environment by themselves
    for stage in pl["stages"]:
        base = dict(variables, **{"Build.SourceBranch": args.branch})
        if not cond(stage.get("condition"), base):
            print(f"stage {stage['stage']}: skipped (condition: {stage.get('condition')})")
            continue
        for job in stage["jobs"]:
            name = job.get("job") or job.get("deployment")
            steps = job.get("steps") or job["strategy"]["runOnce"]["deploy"]["steps"]
            pw = os.path.join(args.work, "agent-" + name)
            src, temp = os.path.join(pw, "s"), os.path.join(pw, "_temp")
            if os.path.exists(pw):
                shutil.rmtree(pw)
            os.makedirs(temp)
            vs = dict(base, **{"Pipeline.Workspace": pw, "Agent.TempDirectory": temp, "Build.SourcesDirectory": src,
                               "System.DefaultWorkingDirectory": src})
            print(f"stage {stage['stage']}, job {name} (fresh agent):")
            # Azure DevOps loads a service connection for a job only when a task of the job names it; a job
            # that asks for an OIDC token without one gets "No service connection found".
            named = {st["inputs"]["azureSubscription"] for st in steps if st.get("task") == "AzureCLI@2"}
            for st in steps:
                sc = (st.get("env") or {}).get("ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID")
                if sc is not None and not named:
                    die(f"job {name} asks Azure DevOps for an OIDC token, but no task of it names a service connection")
            for i, step in enumerate(steps):
                label = step.get("displayName") or next(iter(step))
                if "checkout" in step:
                    fresh_copy(args.repo, src)
                    print(f"  - checkout: {step['checkout']}: a fresh copy of the repository")
                elif "publish" in step:
                    dst = os.path.join(artifacts, step["artifact"])
                    os.makedirs(dst, exist_ok=True)
                    shutil.copy2(os.path.join(src, step["publish"]), dst)
                    print(f"  - publish: artifact {step['artifact']} <- {step['publish']}")
                elif "download" in step:
                    dst = os.path.join(pw, step["artifact"])
                    shutil.copytree(os.path.join(artifacts, step["artifact"]), dst)
                    print(f"  - download: artifact {step['artifact']} -> $(Pipeline.Workspace)/{step['artifact']}")
                elif "script" in step or step.get("task") == "AzureCLI@2":
                    env = env_of(vs, secrets)
                    for k, v in (step.get("env") or {}).items():
                        env[k] = macro(v, vs)
                    if "script" in step:
                        script, cwd = step["script"], src
                    else:
                        inp = step["inputs"]
                        if inp.get("scriptType") != "bash" or inp.get("scriptLocation") != "inlineScript":
                            die("AzureCLI@2: this runner knows scriptType bash with an inlineScript")
                        conn = inp["azureSubscription"]
                        if conn not in connections:
                            die(f"AzureCLI@2 uses service connection {conn!r}: name its issuer with --service-connection")
                        if "SYSTEM_ACCESSTOKEN" in env and env["SYSTEM_ACCESSTOKEN"] != secrets.get("System.AccessToken"):
                            die("SYSTEM_ACCESSTOKEN is mapped to something other than $(System.AccessToken)")
                        if inp.get("addSpnToEnvironment") is True:
                            env["servicePrincipalId"] = os.environ["ARM_CLIENT_ID"]
                            env["tenantId"] = os.environ["ARM_TENANT_ID"]
                            env["idToken"] = mint(connections[conn])
                        script, cwd = inp["inlineScript"], os.path.join(src, inp.get("workingDirectory", ""))
                    out = run_bash(macro(script, vs), cwd, env, label)
                    for m in re.finditer(r"^##vso\[task\.setvariable variable=([^;\]]+)[^\]]*\](.*)$", out, re.M):
                        vs[m.group(1)] = m.group(2)
                else:
                    die(f"step {i} of job {name} ({label}) is of a kind this runner does not know")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="kind", required=True)
    g = sub.add_parser("github")
    g.add_argument("file")
    g.add_argument("--repo", required=True)
    g.add_argument("--work", required=True)
    g.add_argument("--event", default="push")
    g.add_argument("--ref", default="refs/heads/main")
    g.add_argument("--context", action="append", default=[])
    g.add_argument("--oidc", action="append", default=[])
    a = sub.add_parser("azure-devops")
    a.add_argument("file")
    a.add_argument("--repo", required=True)
    a.add_argument("--work", required=True)
    a.add_argument("--branch", default="refs/heads/main")
    a.add_argument("--var", action="append", default=[])
    a.add_argument("--secret", action="append", default=[])
    a.add_argument("--service-connection", action="append", default=[])
    a.add_argument("--oidc-issuer", default="")
    args = ap.parse_args()
    (github if args.kind == "github" else azure_devops)(args)


if __name__ == "__main__":
    main()
