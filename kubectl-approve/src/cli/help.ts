/** The help texts: `kubectl approve --help` and `kubectl approve COMMAND --help`. */

const CONNECTION = `Cluster flags (as kubectl's; KUBECONFIG is read the same way):
  -n, --namespace NS     the namespace (default: the context's, else default)
      --context NAME     the kubeconfig context
      --kubeconfig FILE  the kubeconfig file
  -v, --v N              6 or more: log every API request to stderr
  -h, --help             this help`;

export const EXIT_STATUS_HELP = `Exit status:
   0  done
   1  unexpected error
   2  wrong flags or arguments
   3  no such ApprovalRequest
   4  already decided (approved, denied, withdrawn, executed, failed): reviews are closed
   5  expired: a review would not count
   6  not allowed: RBAC (the message names the permission and the role) or not an approver (it names the groups)
   7  you are the requester: nobody reviews their own request
   8  you already reviewed it
   9  refused by the API server for another reason (its message is shown), or --digest did not match
  10  no kubeconfig, API server unreachable, or credentials not accepted
 130  interrupted`;

export const MAIN_HELP = `Review the commands airlock holds for approval (ApprovalRequests).

Usage:
  kubectl approve list [--all] [-A] [-o json|yaml|name|wide]
  kubectl approve show NAME [--recordings DIR] [--history N] [--raw] [-o json|yaml|name]
  kubectl approve NAME... [--reason TEXT] [--digest sha256:...] [-o json|yaml|name]
  kubectl approve NAME... --deny --reason TEXT
  kubectl approve watch [-A] [--watch-only] [--no-prompt] [-o json|name]
  kubectl approve replay NAME|--session ID --recordings DIR [--output FILE]

  list     pending requests (--all: every phase): name, age, requester (AgentIdentity, and the
           sub-agent asking when it is one), target, summary, approvals, expiry
  show     everything needed to decide: the exact command, digest, requester, who asks through whom
           (person → agent → sub-agents), pod, on-behalf-of, target, policy and rule, approvals and
           reviews, expiry, earlier statements (SSH: commands and their exit statuses) of the session
  NAME     approve (or --deny) the request: appends your review to status.reviews as the user and
           groups the API server authenticated (kubectl auth whoami); the API server checks that you
           are an approver and not the requester
  watch    new pending requests as they appear (a watch, not polling); on a terminal it asks
           approve / deny / skip for each; otherwise one line per event (logfmt, or -o json)
  replay   an SSH session's or a kubectl exec's terminal output as an asciicast v2 file
           (asciinema play FILE), from the recordings, after checking their hash chain

A request named like a command (list, show, watch, replay, help): kubectl approve -- NAME.

${CONNECTION}

${EXIT_STATUS_HELP}
`;

export const LIST_HELP = `List ApprovalRequests: pending ones, most urgent first.

Usage:
  kubectl approve list [--all] [-A] [-o json|yaml|name|wide]

Flags:
      --all                  every phase, not only Pending (adds a PHASE column)
  -A, --all-namespaces       every namespace
  -o, --output FORMAT        json, yaml, name, or wide (adds on-behalf-of, policy/rule, digest,
                             and CHAIN: who asks through whom, person first, e.g.
                             alice@example.com→orders-deploy-main→researcher→sql-writer)
      --color auto|always|never

REQUESTER is the AgentIdentity; when a sub-agent asks with a token delegated to it, the sub-agent
too: orders-deploy-main/sql-writer, or orders-deploy-main/…/sql-writer when sub-agents are in
between (-o wide or show names them all).

${CONNECTION}
`;

export const SHOW_HELP = `Show everything a reviewer needs to decide on a request.

Usage:
  kubectl approve show NAME [--recordings DIR] [--history N] [--raw] [-o json|yaml|name]

Flags:
      --recordings DIR       a directory of session recordings (the operator's, or a copy):
                             shows the statements (SSH: commands, with their exit status) that
                             came before this one in its session, after checking their hash chain
      --history N            how many earlier statements or commands to show (default 10)
      --raw                  show the statement exactly as sent (default on a terminal: laid out
                             one clause per line, whitespace only, and highlighted)
  -o, --output FORMAT        json, yaml or name: the object instead of the view
      --color auto|always|never

Who asks: Requester names the AgentIdentity; when the agent acts for a person or a sub-agent asks
with a token delegated to it, a Chain line reads from the person to the one asking:
  Chain:  alice@example.com → orders-deploy-main (identity) → researcher → sql-writer (depth 2)

${CONNECTION}
`;

export const REVIEW_HELP = `Approve or deny requests.

Usage:
  kubectl approve NAME... [--reason TEXT] [--digest sha256:...]
  kubectl approve NAME... --deny --reason TEXT

Flags:
      --deny                 deny instead of approve; needs --reason (asked for on a terminal)
      --reason TEXT          why; shown to the agent and kept in the request
      --digest sha256:HEX    write the review only if the request holds the command with this
                             digest (checked by the API server in the same write)
  -o, --output FORMAT        json, yaml or name: print the updated request

Your review names you and your groups exactly as the API server authenticated you. The API
server refuses it when you are the requester, not an approver, or the request is decided; the
operator tallies reviews and decides.

${CONNECTION}

${EXIT_STATUS_HELP}
`;

export const REPLAY_HELP = `Replay what an SSH session or a Kubernetes exec showed: its recorded terminal output as asciicast v2.

Usage:
  kubectl approve replay NAME --recordings DIR [--output FILE]
  kubectl approve replay --session ID --recordings DIR [--output FILE]

The session is the ApprovalRequest NAME's (its spec.operation.sessionID) or the one given; every
command that ran in it is replayed, in time order. Play the file with asciinema play FILE (or
print its output with asciinema cat FILE).

Only records whose hash chain verifies are replayed: after a break the file may have been
altered, so the replay stops there and says so on stderr. stdout and stderr both appear as
output; without a terminal (ssh host cmd) what the command read on stdin is not shown (it is in
the recording); output past the session's recording bound was not recorded, and a marker says
where it stops. Denied and held commands ran nothing and show nothing.

Flags:
      --recordings DIR       a directory of session recordings (the operator's, or a copy)
      --session ID           a session id instead of an ApprovalRequest (no API server needed)
  -o, --output FILE          write the cast to FILE (which must not exist) instead of stdout

${CONNECTION}
`;

export const WATCH_HELP = `Stream pending requests as they appear, through a watch.

Usage:
  kubectl approve watch [-A] [--watch-only] [--no-prompt] [-o json|name]

On a terminal, each pending request is shown and you answer a (approve), d (deny, asks for a
reason), s (skip) or q (quit). Otherwise (or with --no-prompt) one line per event:
  event=pending namespace=agents name=... phase=Pending requester=... target=... approvals=0/2 expiresAt=... summary="..."
Events: pending, reviewed, approved, denied, expired, withdrawn, executed, failed, deleted.

Flags:
  -A, --all-namespaces       every namespace
      --watch-only           only requests that appear from now on, not those already pending
      --no-prompt            print events even on a terminal; never ask
      --recordings DIR       on a terminal, show earlier statements of the session (see show)
  -o, --output FORMAT        json (one object per line: {"type":...,"object":...}) or name

${CONNECTION}
`;
