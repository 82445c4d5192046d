import type { Executor } from "../../db/client.ts";
import {
  type OptOutMessage,
  optOutMessageSchema,
  type ReceiptMessage,
  receiptMessageSchema,
} from "../../domain/messaging/event-messages.ts";
import { storeOptOuts } from "../../domain/messaging/opt-outs.ts";
import { applyReceipts } from "../../domain/messaging/receipts.ts";

/**
 * The events consumer's messaging parts (registered in queues/events/handler.ts; typed here by their shape so
 * this module does not import the dispatcher): delivery reports applied to their sends, and opt-outs stored.
 * One statement each per batch.
 */
export const receiptPart: {
  schema: typeof receiptMessageSchema;
  store(tx: Executor, messages: ReceiptMessage[]): Promise<{ counts: Record<string, number> }>;
} = {
  schema: receiptMessageSchema,
  async store(tx, messages) {
    const result = await applyReceipts(
      tx,
      messages.flatMap((message) =>
        message.receipts.map((receipt) => ({ provider: message.provider, ...receipt })),
      ),
    );
    if (result.unknown > 0)
      console.error(JSON.stringify({ event: "events.receipt_unknown_message", count: result.unknown }));
    return { counts: { ...result } };
  },
};

export const optOutPart: {
  schema: typeof optOutMessageSchema;
  store(tx: Executor, messages: OptOutMessage[]): Promise<{ counts: Record<string, number> }>;
} = {
  schema: optOutMessageSchema,
  async store(tx, messages) {
    const { rows, unknownBrands } = await storeOptOuts(tx, messages);
    if (unknownBrands > 0)
      console.error(JSON.stringify({ event: "events.optout_unknown_brand", count: unknownBrands }));
    const stored = rows.filter((row) => row.created).length;
    return {
      counts: {
        received: messages.length,
        stored,
        duplicates: messages.length - stored - unknownBrands,
        unknownBrands,
      },
    };
  },
};
