// The local engine's IAM evaluator, as a long-lived child process of the Python engine.
// One JSON request per line on stdin: {"id": N, "simulation": <iam-simulate Simulation>};
// one JSON answer per line on stdout: {"id": N, "result": "Allowed" | "ImplicitlyDenied" |
// "ExplicitlyDenied", "identity": ..., "resource": ...} or {"id": N, "error": "..."}.
import { createInterface } from 'node:readline'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const answer = (value) => process.stdout.write(JSON.stringify(value) + '\n')

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of lines) {
  if (!line.trim()) continue
  let id = null
  try {
    const request = JSON.parse(line)
    id = request.id
    const outcome = await runSimulation(request.simulation, { simulationMode: 'Strict' })
    if (outcome.resultType === 'error') {
      answer({ id, error: JSON.stringify(outcome.errors) })
    } else {
      const analysis = outcome.result?.analysis ?? {}
      answer({
        id,
        result: outcome.overallResult,
        identity: analysis.identityAnalysis?.result ?? null,
        resource: analysis.resourceAnalysis?.result ?? null
      })
    }
  } catch (error) {
    answer({ id, error: String(error?.stack ?? error) })
  }
}
