/** Log-in: POST /api/v1/session; the token is kept for this tab only. */
import { useState } from 'react';
import { Alert, Button, Card, Form, Input } from 'antd';
import { api, ApiError, saveSession, type SessionUser } from '../api';

interface LoginAnswer {
  token: string;
  expiresAt: string;
  user: SessionUser;
}

export function Login({ onLogin }: { onLogin: (u: SessionUser) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ username: string; password: string }>();
  const submit = async (v: { username: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      const r = await api<LoginAnswer>('/api/v1/session', { body: v });
      saveSession(r.token, r.user);
      onLogin(r.user);
    } catch (e) {
      if (e instanceof ApiError && e.field && (e.field === 'username' || e.field === 'password')) form.setFields([{ name: e.field, errors: [e.message] }]);
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="yb-login">
      <Card title="城乡居民基本医疗保险 · 管理控制台">
        <Form form={form} layout="vertical" onFinish={(v) => void submit(v)} requiredMark={false}>
          <Form.Item name="username" label="用户名" rules={[{ required: true, message: '请输入用户名' }]}>
            <Input autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item name="password" label="密码" rules={[{ required: true, message: '请输入密码' }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          {error && <Alert type="error" showIcon title={error} className="yb-gap" />}
          <Form.Item className="yb-gap">
            <Button type="primary" htmlType="submit" loading={busy} block>
              登录
            </Button>
          </Form.Item>
        </Form>
        <div className="yb-demo-users">演示账号见服务启动日志（admin、policy、clerk、auditor、hospital）。</div>
      </Card>
    </div>
  );
}
