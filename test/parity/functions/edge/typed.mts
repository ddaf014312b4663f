// A TypeScript handler file (types are stripped by Node; the managed runtime does not look for .ts).
interface Order {
  id: string;
}

export const handler = async (event: Order): Promise<{ id: string }> => ({ id: event.id });
