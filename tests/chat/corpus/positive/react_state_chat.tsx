import React, { useEffect, useRef, useState } from "react";
import { marked } from "marked";

type Msg = { Id: string; Content: string; DisplayName: string };

export function Transcript({ session }: { session: any }) {
  const [messages, setMessages] = useState<Msg[]>([]);

  useEffect(() => {
    session.onMessage((event: any) => {
      setMessages((prev) => [...prev, event.data as Msg]);
    });
  }, [session]);

  return (
    <ul>
      {messages.map((m) => (
        <li key={m.Id}>
          <span>{m.DisplayName}</span>
          <div dangerouslySetInnerHTML={{ __html: marked.parse(m.Content) }} /> {/* expect: tainted-html-sink */}
        </li>
      ))}
    </ul>
  );
}

export class Banner extends React.Component<{ session: any }, { text: string }> {
  private ref = React.createRef<HTMLDivElement>();
  state = { text: "" };

  componentDidMount() {
    this.props.session.onConnectionEstablished((event: any) => {
      this.setState({ text: event.data.DisplayName });
    });
  }

  componentDidUpdate() {
    this.ref.current!.innerHTML = `Connected to ${this.state.text}`; // expect: tainted-html-sink
  }

  render() {
    return <div ref={this.ref} />;
  }
}
