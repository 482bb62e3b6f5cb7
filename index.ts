/**
 * The program: stack config and the files → validated tenants (model/) → plans (plan/) → resources
 * (components/), by the kind of stack (stacks/): one that holds everything, the platform stack of
 * a fleet split into cells, or one cell's stack (docs/cells.md). Everything is validated and planned
 * before the first resource is declared.
 */
import { allInOneStack } from "./stacks/all";
import { cellStack } from "./stacks/cell";
import { platformStack } from "./stacks/platform";
import { readStack } from "./stacks/shared";

export = async () => {
  const inputs = readStack();
  switch (inputs.settings.stackRole) {
    case "platform":
      return platformStack(inputs);
    case "cell":
      return cellStack(inputs);
    default:
      return allInOneStack(inputs);
  }
};
