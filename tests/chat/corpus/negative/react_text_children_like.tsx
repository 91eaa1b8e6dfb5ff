// Modelled on aws-samples/amazon-connect-chat-ui message list: content rendered as React text children.
import React, { useEffect, useState } from "react";

type Item = { Id: string; Content: string; DisplayName: string; ParticipantRole: string };

export function MessageList({ session }: { session: any }) {
  const [items, setItems] = useState<Item[]>([]);
  useEffect(() => {
    session.onMessage((e: any) => setItems((prev) => [...prev, e.data]));
  }, [session]);
  return (
    <ul className="messages">
      {items.map((item) => {
        const Tag = item.ParticipantRole === "CUSTOMER" ? "strong" : "span";
        return (
          <li key={item.Id} title={item.DisplayName} className={`role-${item.ParticipantRole}`} data-id={item.Id}>
            <Tag>{item.DisplayName}</Tag>: {item.Content}
            <input readOnly value={item.Content} aria-label={item.DisplayName} />
          </li>
        );
      })}
    </ul>
  );
}
