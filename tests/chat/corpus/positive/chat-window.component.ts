import { Component } from "@angular/core";
import { DomSanitizer, SafeHtml } from "@angular/platform-browser";

@Component({ selector: "chat-window", templateUrl: "./chat-window.component.html" })
export class ChatWindowComponent {
  messages: { html: SafeHtml }[] = [];

  constructor(private sanitizer: DomSanitizer, private session: any) {
    this.session.onMessage((event: any) => {
      this.messages.push({ html: this.sanitizer.bypassSecurityTrustHtml(event.data.Content) }); // expect: tainted-html-sink
    });
  }
}
