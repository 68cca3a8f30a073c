import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/**
 * A generated password: `RandomPassword` child `name` (`length` alphanumerics,
 * 32 by default, so it needs no quoting in SQL, URLs or shell) used through `.result`, explicitly
 * marked secret so every input built from it is secret too (the engine marks
 * `result` secret, but the mock engine does not apply `additionalSecretOutputs`).
 */
export function generatedPassword(name: string, parent: pulumi.Resource, length = 32): pulumi.Output<string> {
  const password = new random.RandomPassword(name, { length, special: false }, { parent });
  return pulumi.secret(password.result);
}
