import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/**
 * A generated password: `RandomPassword` child `name` (32 alphanumerics, so it
 * needs no quoting in SQL, URLs or shell) used through `.result`, explicitly
 * marked secret so every input built from it is secret too (the engine marks
 * `result` secret, but the mock engine does not apply `additionalSecretOutputs`).
 */
export function generatedPassword(name: string, parent: pulumi.Resource): pulumi.Output<string> {
  const password = new random.RandomPassword(name, { length: 32, special: false }, { parent });
  return pulumi.secret(password.result);
}
